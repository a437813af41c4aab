"""Background work, with Django's tasks API (the django-tasks backport; `django.tasks` from Django 6).

The default backend is the database queue (`django_tasks_db`), worked by `manage.py db_worker`.
Tasks take ids, never objects, and every task is safe to run twice: it re-reads the row and acts only
when there is still something to do. Enqueueing never breaks the caller: a failure to enqueue is
logged, and the periodic `manage.py reconcile_changes` picks the work up.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django_tasks import default_task_backend, task

logger = logging.getLogger(__name__)


@task()
def process_notification(notification_id: int) -> str:
    """Match a stored payment notification to its change, confirm with the vendor, record the payment."""
    from subscriptions.notifications import notification_process

    return notification_process(notification_id=notification_id)


@task()
def reconcile_change(quote_id: int) -> str:
    """One read-only check of an outcome-unknown change; it plans its own next check."""
    from subscriptions.reconcile import reconcile_quote

    return reconcile_quote(quote_id=quote_id)


@task()
def reconcile_changes() -> str:
    """Every change and notification due for a check (the same as `manage.py reconcile_changes`)."""
    from subscriptions.reconcile import reconcile_due

    return str(reconcile_due())


def _enqueue(job, *args, run_after: datetime | None = None) -> None:
    try:
        if run_after is not None and default_task_backend.supports_defer:
            job = job.using(run_after=run_after)
        elif run_after is not None:
            return  # this backend cannot wait; the periodic command will pick it up when due
        job.enqueue(*args)
    except Exception:
        logger.exception("could not enqueue %s%r", job.name, args)


def enqueue_notification(notification_id: int, *, run_after: datetime | None = None) -> None:
    _enqueue(process_notification, notification_id, run_after=run_after)


def enqueue_reconcile(quote_id: int, *, run_after: datetime | None = None) -> None:
    _enqueue(reconcile_change, quote_id, run_after=run_after)
