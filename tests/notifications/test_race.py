"""Two workers processing one notification at once: the change is paid once and the notification stays processed.

PostgreSQL only: the row locks are what keeps the two apart. The interleavings are forced with events and
barriers at the points where the workers read, never with sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest
from django.db import connection

import subscriptions.cleverbridge.client as cleverbridge
import subscriptions.notifications as notifications
from subscriptions.models import InboundNotification, LedgerEntry, NotificationStatus, Quote, QuoteState
from tests.conftest import InProcessTransport
from tests.notifications.test_loop import _increase

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL for row locks between two workers (database is {connection.vendor})")


def _pending(anna_client, queue) -> tuple[Quote, InboundNotification]:
    quote = _increase(anna_client)
    queue.run(only="deliver_notification")
    queue.clear()
    notification = InboundNotification.objects.get()
    assert notification.status == NotificationStatus.PENDING
    return quote, notification


def _run_both(work: Callable[[str], str]) -> dict[str, str]:
    results: dict[str, str] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            results[name] = work(name)
        except BaseException as exc:  # surfaced below; a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,), name=name) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def _paid_once(quote: Quote, notification: InboundNotification) -> None:
    quote.refresh_from_db()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PROCESSED, notification.note
    assert notification.quote == quote
    assert quote.state == QuoteState.PAID
    assert LedgerEntry.objects.filter(quote=quote, action="change.paid").count() == 1


def test_a_worker_that_finishes_after_the_payment_leaves_the_notification_processed(
    anna_client, vendor, queue, monkeypatch
):
    """The second worker read the notification as pending, then the first paid the change before it matched."""
    quote, notification = _pending(anna_client, queue)
    first_done = threading.Event()
    real = notifications._candidates

    def candidates(*args, **kwargs):
        if threading.current_thread().name == "second":
            assert first_done.wait(timeout=30)
        return real(*args, **kwargs)

    monkeypatch.setattr(notifications, "_candidates", candidates)

    def work(name: str) -> str:
        try:
            return notifications.notification_process(notification_id=notification.pk)
        finally:
            if name == "first":
                first_done.set()

    results = _run_both(work)

    _paid_once(quote, notification)
    assert results["first"] == NotificationStatus.PROCESSED
    assert results["second"] == NotificationStatus.PROCESSED


class BothReadAtOnce(InProcessTransport):
    """Both workers confirm with the vendor at the same moment, then race to record the payment."""

    def __init__(self, barrier: threading.Barrier):
        self.barrier = barrier

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "getsubscription" in request.url.path and threading.current_thread().name in ("first", "second"):
            self.barrier.wait(timeout=30)
        return super().handle_request(request)


def test_two_workers_confirming_at_once_pay_the_change_once(anna_client, vendor, queue, monkeypatch):
    quote, notification = _pending(anna_client, queue)
    transport = BothReadAtOnce(threading.Barrier(2))
    monkeypatch.setattr(cleverbridge, "make_transport", lambda: transport)

    results = _run_both(lambda name: notifications.notification_process(notification_id=notification.pk))

    _paid_once(quote, notification)
    assert set(results.values()) == {NotificationStatus.PROCESSED}
