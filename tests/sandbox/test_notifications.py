"""The sandbox's notification sender: the payload, asynchronous delivery, retries, and its fault controls."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tasks import default_task_backend

from sandbox.models import DeliveryState, NotificationDelivery
from sandbox.notifications import notification_deliver, notifications_due
from tests.conftest import InProcessTransport
from tests.sandbox.api import body_of, change
from tests.sandbox.test_faults import INCREASE
from tests.sandbox.test_faults import subscription as subscription_fixture

subscription = subscription_fixture

SECRET = "sandbox-test-secret-" + "x" * 20


@pytest.fixture(autouse=True)
def _sender(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.CLEVERBRIDGE_NOTIFICATION_SECRET = SECRET
    settings.SANDBOX_NOTIFICATION_URL = f"http://testserver/cleverbridge/notifications/{SECRET}/"
    settings.SANDBOX_NOTIFICATION_RETRY_SECONDS = 7200
    settings.SANDBOX_NOTIFICATION_RETRY_FOR_HOURS = 48
    monkeypatch.setattr("sandbox.notifications.make_transport", InProcessTransport)
    default_task_backend.clear()
    yield
    default_task_backend.clear()


def queued() -> list:
    return [result for result in default_task_backend.results if result.task.name == "deliver_notification"]


def test_a_charged_commit_plans_one_notification_for_later(api, subscription):
    response = api.post(INCREASE, change(subscription.pk, 5, mail=True))
    assert response.status_code == 200

    delivery = NotificationDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0
    assert len(queued()) == 1
    payload = json.loads(delivery.body, parse_float=Decimal)
    purchase = delivery.purchase
    assert payload["meta"]["type"] == "PaidOrderNotification"
    assert payload["meta"]["schemaUrl"].endswith("/PaidOrderNotification")
    assert payload["purchaseId"] == purchase.vendor_id
    assert payload["statusId"] == "TST"
    assert payload["subscriptionRevenueCategoryId"] == "Alignment"
    assert Decimal(payload["totalGrossPrice"]) == purchase.gross
    assert Decimal(payload["totalNetPrice"]) + Decimal(payload["totalVatPrice"]) == purchase.gross
    billing = payload["items"][0]["recurringBilling"]
    assert billing["subscriptionId"] == f"S{subscription.pk}"
    assert billing["subscriptionItemRunningNo"] == 1
    assert billing["intervalNumber"] == purchase.interval_no
    assert billing["nextBillingDate"].startswith(subscription.next_billing_date.strftime("%Y-%m-%dT%H:%M:%S"))
    assert payload["items"][0]["quantity"] == 15


def test_previews_and_uncharged_changes_send_nothing(api, subscription):
    api.post(INCREASE, change(subscription.pk, 5, preview=True))
    api.post(INCREASE, change(subscription.pk, 5, align=False))

    assert not NotificationDelivery.objects.exists() and queued() == []


def test_delivery_posts_to_the_configured_url(api, subscription):
    from subscriptions.models import InboundNotification

    api.post(INCREASE, change(subscription.pk, 5))
    delivery = NotificationDelivery.objects.get()

    assert notification_deliver(delivery_id=delivery.pk) == DeliveryState.DELIVERED

    delivery.refresh_from_db()
    assert delivery.last_status == 200 and delivery.attempts == 1 and delivery.delivered_at
    received = InboundNotification.objects.get()
    assert received.body == delivery.body and received.purchase_id == delivery.purchase.vendor_id
    assert notification_deliver(delivery_id=delivery.pk) == DeliveryState.DELIVERED  # never sent twice
    assert InboundNotification.objects.count() == 1


def test_failed_deliveries_are_retried_every_2_hours_for_48_hours(api, subscription, settings):
    settings.SANDBOX_NOTIFICATION_URL = "http://testserver/cleverbridge/notifications/wrong/"
    api.post(INCREASE, change(subscription.pk, 5))
    delivery = NotificationDelivery.objects.get()
    start = timezone.now()

    assert notification_deliver(delivery_id=delivery.pk, now=start) == DeliveryState.PENDING
    delivery.refresh_from_db()
    assert delivery.last_status == 404
    assert delivery.next_attempt_at == start + timedelta(hours=2)
    retry = queued()[-1]
    assert retry.task.run_after == start + timedelta(hours=2)

    moment = start
    for _ in range(23):
        moment += timedelta(hours=2)
        assert notification_deliver(delivery_id=delivery.pk, now=moment) == DeliveryState.PENDING
    assert notification_deliver(delivery_id=delivery.pk, now=moment + timedelta(hours=2)) == DeliveryState.FAILED
    delivery.refresh_from_db()
    assert delivery.attempts == 25 and delivery.next_attempt_at is None


def test_the_retry_schedule_is_configurable(api, subscription, settings):
    settings.SANDBOX_NOTIFICATION_URL = "http://testserver/cleverbridge/notifications/wrong/"
    settings.SANDBOX_NOTIFICATION_RETRY_SECONDS = 10
    settings.SANDBOX_NOTIFICATION_RETRY_FOR_HOURS = 0
    api.post(INCREASE, change(subscription.pk, 5))

    assert notification_deliver(delivery_id=NotificationDelivery.objects.get().pk) == DeliveryState.FAILED


def test_deliveries_are_listed_without_the_receivers_secret(api, subscription):
    api.post(INCREASE, change(subscription.pk, 5))

    listed = body_of(api.control("get", "notifications", subscription_id=f"S{subscription.pk}"))

    assert listed["Control"] == {"duplicate": 0, "delay_seconds": Decimal("0.000"), "hold": False}
    (entry,) = listed["Notifications"]
    assert entry["state"] == "pending" and entry["body"]["meta"]["type"] == "PaidOrderNotification"
    assert SECRET not in json.dumps(listed, default=str)
    assert api.control("get", "notifications", subscription_id="S1")  # filter accepted
    assert body_of(api.control("get", "notifications", subscription_id="S1"))["Notifications"] == []


def test_the_list_needs_credentials(client, db):
    assert client.get("/sandbox/control/notifications").status_code == 401


def test_duplicate_and_delay(api, subscription):
    api.control("post", "notifications", {"duplicate": 1, "delay_seconds": 30})

    api.post(INCREASE, change(subscription.pk, 5))

    copies = NotificationDelivery.objects.order_by("copy_no")
    assert [d.copy_no for d in copies] == [1, 2]
    assert copies[0].body == copies[1].body
    assert all(result.task.run_after and result.task.run_after > timezone.now() for result in queued())
    assert notifications_due() == []
    assert len(notifications_due(now=timezone.now() + timedelta(seconds=31))) == 2


def test_hold_then_release_in_reverse_order(api, subscription):
    api.control("post", "notifications", {"hold": True})
    api.post(INCREASE, change(subscription.pk, 1))
    api.post(INCREASE, change(subscription.pk, 2))
    assert set(NotificationDelivery.objects.values_list("state", flat=True)) == {"held"} and queued() == []

    api.control("post", "notifications", {"hold": False, "release": "reverse"})

    first, second = (NotificationDelivery.objects.get(pk=r.args[0]) for r in queued())
    assert first.purchase_id > second.purchase_id
    assert api.control("delete", "notifications").status_code == 200
    assert body_of(api.control("get", "notifications"))["Control"]["hold"] is False


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"duplicate": -1},
        {"duplicate": 11},
        {"duplicate": True},
        {"delay_seconds": "soon"},
        {"hold": "yes"},
        {"release": "sideways"},
    ],
)
def test_bad_control_input_is_400(api, db, body):
    assert api.control("post", "notifications", body).status_code == 400
