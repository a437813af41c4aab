"""Background work that fails on a passing problem is tried again, and the worker sweeps what is due.

A task that died (the database locked, the vendor away) plans its own retry with a growing pause; work
whose task was lost is found by the worker's sweep, at start and every few seconds. Time is passed in
(`now`), never waited for.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

import subscriptions.notifications as notifications
import subscriptions.reconcile as reconcile
from subscriptions.management.commands import work
from subscriptions.models import InboundNotification, LedgerEntry, NotificationStatus, Quote, QuoteState
from tests.cast import MONTHLY
from tests.changes.flows import commit, preview
from tests.notifications.test_loop import _increase

pytestmark = pytest.mark.django_db(transaction=True)


def _fails_once(real):
    calls = []

    def fake(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real(**kwargs)

    return fake


def _pending(anna_client, queue) -> tuple[Quote, InboundNotification]:
    quote = _increase(anna_client)
    queue.run(only="deliver_notification")
    notification = InboundNotification.objects.get()
    assert notification.status == NotificationStatus.PENDING and notification.attempts == 0
    return quote, notification


def test_a_processing_task_that_dies_on_a_locked_database_is_tried_again(anna_client, vendor, queue, monkeypatch):
    quote, notification = _pending(anna_client, queue)
    monkeypatch.setattr(notifications, "notification_process", _fails_once(notifications.notification_process))
    started = timezone.now()

    assert queue.run(only="process_notification") == ["process_notification"]

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.ERROR
    assert "database is locked" in notification.note
    assert notification.attempts == 1
    assert notification.next_attempt_at >= started + timedelta(seconds=5)
    retry = [r for r in queue.results if r.task.name == "process_notification"]
    assert [r.task.run_after for r in retry] == [notification.next_attempt_at]

    queue.run(now=notification.next_attempt_at)

    notification.refresh_from_db()
    quote.refresh_from_db()
    assert notification.status == NotificationStatus.PROCESSED
    assert quote.state == QuoteState.PAID
    assert LedgerEntry.objects.filter(quote=quote, action="change.paid").count() == 1


def test_a_failing_notification_waits_longer_each_time(anna_client, vendor, queue, monkeypatch):
    _, notification = _pending(anna_client, queue)

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(notifications, "notification_process", locked)
    pauses = []
    for _ in range(3):
        before = InboundNotification.objects.get(pk=notification.pk).next_attempt_at or timezone.now()
        queue.run(now=before, only="process_notification")
        after = InboundNotification.objects.get(pk=notification.pk)
        pauses.append(after.next_attempt_at - before)
    assert after.attempts == 3 and after.status == NotificationStatus.ERROR
    assert pauses[0] < pauses[1] < pauses[2]


def test_a_reconcile_task_that_dies_plans_the_next_read(anna_client, vendor, queue, monkeypatch):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    vendor.fault("increasesubscriptionitemquantity", on="commit", mode="apply_then_error", status=500)
    commit(anna_client, quote)
    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN
    first_read = quote.next_reconcile_at
    queue.clear()
    monkeypatch.setattr(reconcile, "reconcile_quote", _fails_once(reconcile.reconcile_quote))

    reconcile.reconcile_change.call(quote.pk)

    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN
    assert quote.reconcile_attempts == 1
    assert quote.next_reconcile_at > first_read
    assert [r.task.name for r in queue.results] == ["reconcile_change"]
    assert queue.results[0].task.run_after == quote.next_reconcile_at

    queue.run(now=quote.next_reconcile_at)

    quote.refresh_from_db()
    assert quote.state in (QuoteState.COMMITTED, QuoteState.PAID)


def test_the_worker_sweeps_work_whose_task_was_lost_when_it_starts(anna_client, vendor, queue, settings):
    """The notification's task died before it could plan a retry: the next worker start finds it."""
    quote, notification = _pending(anna_client, queue)
    queue.clear()  # the task is lost
    dummy = settings.TASKS
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    try:
        call_command("work", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        settings.TASKS = dummy

    notification.refresh_from_db()
    quote.refresh_from_db()
    assert notification.status == NotificationStatus.PROCESSED
    assert quote.state == QuoteState.PAID


class Ticks(threading.Event):
    """A stop signal whose waits return at once: `ticks` intervals pass, then it is set."""

    def __init__(self, ticks: int):
        super().__init__()
        self.left = ticks
        self.timeouts: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.timeouts.append(timeout)
        self.left -= 1
        return self.left < 0


@pytest.mark.django_db(transaction=False)
def test_the_sweeper_sweeps_every_interval_and_survives_a_failed_sweep(monkeypatch):
    sweeps = []

    def sweep(*, now=None):
        sweeps.append(now)
        if len(sweeps) == 1:
            raise OperationalError("database is locked")
        return reconcile.ReconcileSummary()

    monkeypatch.setattr(work, "reconcile_due", sweep)
    monkeypatch.setattr(work.connection, "close", lambda: None)
    stop = Ticks(3)

    work.Sweeper(every=12.5).run(stop)

    assert len(sweeps) == 3
    assert stop.timeouts == [12.5] * 4
