"""Enqueueing background work, with Django's tasks API (the django-tasks backport; `django.tasks` from Django 6).

The default backend is the database queue (`django_tasks_db`), worked by `manage.py work`. Each task is
defined beside the function it runs (`notifications.process_notification`, `reconcile.reconcile_change`),
and the module that owns it enqueues it through `enqueue` here, so imports run one way. Tasks take ids,
never objects, and are safe to run twice. Enqueueing never breaks the caller: a failure is logged, and the
worker's periodic sweep (`reconcile.reconcile_due`) picks the work up when it is due.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import InterfaceError, OperationalError
from django_tasks import default_task_backend
from django_tasks.base import Task

from subscriptions.cleverbridge import CleverbridgeError

logger = logging.getLogger(__name__)

__all__ = ["TRANSIENT", "enqueue"]

TRANSIENT = (OperationalError, InterfaceError, CleverbridgeError)
"""Failures that may pass by themselves (the database busy or gone, the vendor unreachable): a task plans a retry."""


def enqueue(job: Task, *args: int, run_after: datetime | None = None) -> None:
    """Enqueue `job`, at `run_after` when the backend can wait; never raises."""
    try:
        if run_after is not None and default_task_backend.supports_defer:
            job = job.using(run_after=run_after)
        elif run_after is not None:
            return  # this backend cannot wait; the periodic sweep picks it up when due
        job.enqueue(*args)
    except Exception:
        logger.exception("could not enqueue %s%r", job.name, args)
