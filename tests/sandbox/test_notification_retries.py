"""The sandbox's sender never leaves a delivery behind: died attempts are due again, our own trouble is retried soon.

Time is passed in (`now`), the worker's queue is django-tasks' DummyBackend and the receiver answers in-process
or from a scripted transport; nothing sleeps or reaches the network.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import httpx
import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks import default_task_backend

from sandbox import notifications
from sandbox.models import DeliveryState, NotificationDelivery
from sandbox.notifications import deliver_notification, notification_deliver, notifications_due, notifications_sweep
from tests.conftest import InProcessTransport
from tests.sandbox.api import change
from tests.sandbox.test_faults import INCREASE
from tests.sandbox.test_faults import subscription as subscription_fixture

subscription = subscription_fixture

SECRET = "sandbox-retry-secret-" + "y" * 20
LOCKED = OperationalError("database is locked")


@pytest.fixture(autouse=True)
def _sender(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.CLEVERBRIDGE_NOTIFICATION_SECRET = SECRET
    settings.SANDBOX_NOTIFICATION_URL = f"http://testserver/cleverbridge/notifications/{SECRET}/"
    settings.SANDBOX_NOTIFICATION_RETRY_SECONDS = 7200
    settings.SANDBOX_NOTIFICATION_RETRY_FOR_HOURS = 48
    settings.SANDBOX_NOTIFICATION_TIMEOUT = 10
    monkeypatch.setattr(notifications, "make_transport", InProcessTransport)
    default_task_backend.clear()
    yield
    default_task_backend.clear()


@pytest.fixture
def delivery(api, subscription) -> NotificationDelivery:
    assert api.post(INCREASE, change(subscription.pk, 5)).status_code == 200
    default_task_backend.clear()
    return NotificationDelivery.objects.get()


def answering(monkeypatch, *statuses: int | Exception) -> list[str]:
    """The receiver answers these statuses (or fails to connect), one per attempt; returns the URLs posted to."""
    answers = iter(statuses)
    posted: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        posted.append(str(request.url))
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, text="receiver says no" if answer >= 300 else "ok")

    monkeypatch.setattr(notifications, "make_transport", lambda: httpx.MockTransport(handle))
    return posted


def retries_queued() -> list:
    return [result for result in default_task_backend.results if result.task.name == "deliver_notification"]


def test_a_task_that_dies_before_its_attempt_is_recorded_is_retried_within_seconds(delivery, monkeypatch):
    real_save = NotificationDelivery.save

    def locked_save(self, *args, **kwargs):
        raise LOCKED

    monkeypatch.setattr(NotificationDelivery, "save", locked_save)
    start = timezone.now()

    with pytest.raises(OperationalError):
        deliver_notification.call(delivery.pk)

    monkeypatch.setattr(NotificationDelivery, "save", real_save)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0
    (retry,) = retries_queued()
    assert retry.args == [delivery.pk]
    assert start < retry.task.run_after <= timezone.now() + timedelta(seconds=5)
    assert notifications_due() == [delivery]  # the sweep's net, should the retry be lost too

    assert notifications_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 1


def test_an_attempt_that_dies_after_it_began_is_due_again_once_its_time_is_up(delivery, monkeypatch):
    def dies(_delivery):
        raise LOCKED

    monkeypatch.setattr(notifications, "_post", dies)
    start = timezone.now()

    with pytest.raises(OperationalError):
        notification_deliver(delivery_id=delivery.pk, now=start)

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at == start + timedelta(seconds=10 + 5)  # the send's timeout and a margin
    assert notifications_due(now=start + timedelta(seconds=14)) == []
    monkeypatch.undo()
    monkeypatch.setattr(notifications, "make_transport", InProcessTransport)
    assert notifications_sweep(now=start + timedelta(seconds=15)) == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 2


def test_no_answer_or_a_5xx_is_tried_again_within_seconds_before_the_vendors_schedule(delivery, monkeypatch):
    posted = answering(monkeypatch, httpx.ConnectError("refused"), 500, 503, 502, 200)
    moment = timezone.now()
    waits = []

    for _ in range(4):
        assert notification_deliver(delivery_id=delivery.pk, now=moment) == DeliveryState.PENDING
        delivery.refresh_from_db()
        waits.append((delivery.next_attempt_at - moment).total_seconds())
        assert retries_queued()[-1].task.run_after == delivery.next_attempt_at
        moment = delivery.next_attempt_at

    assert waits == [5, 15, 60, 7200]
    assert notification_deliver(delivery_id=delivery.pk, now=moment) == DeliveryState.DELIVERED
    assert len(posted) == 5


def test_a_refusal_waits_for_the_vendors_schedule(delivery, monkeypatch):
    answering(monkeypatch, 404)
    start = timezone.now()

    notification_deliver(delivery_id=delivery.pk, now=start)

    delivery.refresh_from_db()
    assert delivery.last_status == 404 and delivery.next_attempt_at == start + timedelta(hours=2)


def test_an_attempt_under_way_is_not_sent_again(delivery, monkeypatch):
    start = timezone.now()
    meanwhile = []

    def handle(request: httpx.Request) -> httpx.Response:
        meanwhile.append(notification_deliver(delivery_id=delivery.pk, now=start + timedelta(seconds=1)))
        meanwhile.append(notifications_sweep(now=start + timedelta(seconds=1)))
        return httpx.Response(200, text="ok")

    monkeypatch.setattr(notifications, "make_transport", lambda: httpx.MockTransport(handle))

    assert notification_deliver(delivery_id=delivery.pk, now=start) == DeliveryState.DELIVERED
    assert meanwhile == [DeliveryState.PENDING, 0]
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_a_late_outcome_does_not_overwrite_a_later_attempt(delivery, monkeypatch):
    start = timezone.now()

    def handle(request: httpx.Request) -> httpx.Response:
        NotificationDelivery.objects.filter(pk=delivery.pk).update(attempts=2)  # the sweep took it for dead
        return httpx.Response(500, text="too slow")

    monkeypatch.setattr(notifications, "make_transport", lambda: httpx.MockTransport(handle))

    notification_deliver(delivery_id=delivery.pk, now=start)

    delivery.refresh_from_db()
    assert delivery.last_status is None and delivery.attempts == 2
    assert retries_queued() == []


@pytest.mark.django_db(transaction=True)
def test_the_sweep_command_sends_what_is_due(delivery):
    """In a real transaction: each pass starts with close_old_connections(), which closes a connection that is held
    in a test's enclosing transaction."""
    out = StringIO()

    call_command("sandbox_notifications", "--deliver", "--every", "5", "--passes", "1", stdout=out)

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert "attempted 1 deliveries" in out.getvalue()


def test_one_failing_delivery_does_not_stop_the_sweep(api, subscription, monkeypatch):
    api.post(INCREASE, change(subscription.pk, 1))
    api.post(INCREASE, change(subscription.pk, 2))
    first, second = NotificationDelivery.objects.order_by("id")
    real = notifications._post

    def first_dies(delivery):
        if delivery.pk == first.pk:
            raise LOCKED
        return real(delivery)

    monkeypatch.setattr(notifications, "_post", first_dies)

    assert notifications_sweep() == 2

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == DeliveryState.PENDING and second.state == DeliveryState.DELIVERED
