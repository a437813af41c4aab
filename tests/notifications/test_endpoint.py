"""The endpoint: secret and credentials first, then the message is stored before anything else; never a 500."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from subscriptions.cleverbridge.payloads import Malformed, parse_paid_order
from subscriptions.models import InboundNotification, NotificationStatus
from tests.notifications.conftest import ENDPOINT, SECRET
from tests.notifications.payloads import body, paid_order

pytestmark = pytest.mark.django_db


def post(client, data, *, path=ENDPOINT, content_type="application/json", **headers):
    return client.generic("POST", path, data, content_type=content_type, **headers)


def test_a_paid_order_is_stored_and_queued_for_processing(client, queue):
    response = post(client, body(paid_order()), HTTP_X_REQUEST_ID="abc")

    assert response.status_code == 200
    stored = InboundNotification.objects.get()
    assert stored.status == NotificationStatus.PENDING
    assert stored.purchase_id == 538990001
    assert stored.subscription_id == 68574751
    assert stored.notification_type == "PaidOrderNotification"
    assert json.loads(stored.body) == paid_order()
    assert stored.headers["X-Request-Id"] == "abc"
    assert queue.names() == ["process_notification"]
    assert queue.results[0].args == (stored.pk,) or queue.results[0].args == [stored.pk]


@pytest.mark.parametrize("path", [ENDPOINT.replace(SECRET, SECRET[:-1] + "x"), "/cleverbridge/notifications/x/"])
def test_a_wrong_secret_is_404_stores_nothing_and_is_logged_without_the_secret(client, queue, caplog, path):
    with caplog.at_level(logging.WARNING, logger="django.security"):
        response = post(client, body(paid_order()), path=path)

    assert response.status_code == 404
    assert not InboundNotification.objects.exists()
    assert queue.results == []
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("django.security.notifications")]
    assert lines and "wrong secret" in lines[0]
    assert SECRET[:12] not in caplog.text


@pytest.mark.parametrize("raw", ["{broken", "x" * 3000])
def test_the_secret_never_reaches_the_logs(client, settings, caplog, raw):
    settings.NOTIFICATION_MAX_BYTES = 2000
    settings.CLEVERBRIDGE_NOTIFICATION_USER = "vendor"
    settings.CLEVERBRIDGE_NOTIFICATION_PASSWORD = "s3cret-pass"
    with caplog.at_level(logging.DEBUG):
        assert post(client, raw).status_code == 401
        assert post(client, raw, HTTP_AUTHORIZATION=_basic("vendor", "s3cret-pass")).status_code in (400, 413)
        assert client.get(ENDPOINT).status_code == 405
    assert SECRET not in caplog.text


def test_get_with_the_right_secret_is_405_and_stores_nothing(client):
    assert client.get(ENDPOINT).status_code == 405
    assert not InboundNotification.objects.exists()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("authorization", [None, _basic("vendor", "wrong"), _basic("other", "s3cret-pass"), "Bearer x"])
def test_wrong_or_missing_basic_credentials_are_401_when_configured(client, settings, queue, caplog, authorization):
    settings.CLEVERBRIDGE_NOTIFICATION_USER = "vendor"
    settings.CLEVERBRIDGE_NOTIFICATION_PASSWORD = "s3cret-pass"
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    with caplog.at_level(logging.WARNING, logger="django.security"):
        response = post(client, body(paid_order()), **headers)

    assert response.status_code == 401
    assert "Basic" in response["WWW-Authenticate"]
    assert not InboundNotification.objects.exists()
    assert queue.results == []
    assert "Basic credentials" in caplog.text


def test_right_basic_credentials_are_accepted_and_never_stored(client, settings):
    settings.CLEVERBRIDGE_NOTIFICATION_USER = "vendor"
    settings.CLEVERBRIDGE_NOTIFICATION_PASSWORD = "s3cret-pass"

    response = post(
        client, body(paid_order()), HTTP_AUTHORIZATION=_basic("vendor", "s3cret-pass"), HTTP_COOKIE="sessionid=zzz"
    )

    assert response.status_code == 200
    headers = InboundNotification.objects.get().headers
    assert "Authorization" not in headers and "Cookie" not in headers
    assert "s3cret" not in json.dumps(headers)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("{not json", "not JSON"),
        ("[1, 2, 3]", "not a JSON object"),
        ('"PaidOrderNotification"', "not a JSON object"),
        ("{}", "meta"),
        ('{"meta": {"type": ""}}', "meta.type"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        ("[" * 100000, "not JSON"),
    ],
)
def test_malformed_bodies_are_stored_marked_and_answered_400(client, queue, raw, why):
    response = post(client, raw)

    assert response.status_code == 400
    stored = InboundNotification.objects.get()
    assert stored.status == NotificationStatus.MALFORMED
    assert why in stored.note
    assert queue.results == []


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda p: p.pop("purchaseId"), "purchaseId is missing"),
        (lambda p: p.update(purchaseId="abc"), "purchaseId is not a whole number"),
        (lambda p: p.update(purchaseId="²"), "purchaseId is not a whole number"),
        (lambda p: p["items"][0]["recurringBilling"].update(subscriptionId="S¹²"), "not a whole number"),
        (lambda p: p.pop("items"), "items is missing"),
        (lambda p: p["items"][0]["recurringBilling"].pop("subscriptionId"), "subscriptionId is missing"),
        (lambda p: p["items"][0]["recurringBilling"].update(subscriptionId="S12x"), "not a whole number"),
        (lambda p: p["items"][0]["recurringBilling"].update(nextBillingDate="tomorrow"), "not a timestamp"),
        (lambda p: p["items"][0].update(totalGrossPrice="lots"), "not an amount"),
        (lambda p: p["items"][0].update(totalGrossPrice="NaN"), "not an amount"),
        (lambda p: p.update(items=["x"]), "is not an object"),
    ],
)
def test_paid_orders_with_missing_or_bad_fields_are_malformed(client, queue, change, why):
    payload = paid_order()
    change(payload)

    response = post(client, body(payload))

    assert response.status_code == 400
    stored = InboundNotification.objects.get()
    assert stored.status == NotificationStatus.MALFORMED
    assert why in stored.note
    assert queue.results == []


def test_a_huge_body_is_refused_with_413_and_kept_truncated(client, settings, queue):
    settings.NOTIFICATION_MAX_BYTES = 1000
    payload = paid_order()
    payload["padding"] = "x" * 5000

    response = post(client, body(payload))

    assert response.status_code == 413
    stored = InboundNotification.objects.get()
    assert stored.status == NotificationStatus.MALFORMED
    assert stored.body_bytes == 1000 and len(stored.body) == 1000
    assert queue.results == []


def test_nul_characters_are_stored_without_breaking_postgresql(client, queue):
    assert post(client, body(paid_order(status_id="T\u0000"))).status_code == 200
    assert post(client, body({"meta": {"type": "X\u0000Y"}})).status_code == 200
    assert InboundNotification.objects.filter(notification_type="X\ufffdY").exists()


def test_an_unknown_type_is_kept_for_inspection_and_answered_200(client, queue):
    payload = {"meta": {"type": "SubscriptionReinstatedNotification"}, "subscriptionId": "S68574751"}

    response = post(client, body(payload))

    assert response.status_code == 200
    stored = InboundNotification.objects.get()
    assert stored.status == NotificationStatus.IGNORED
    assert stored.notification_type == "SubscriptionReinstatedNotification"
    assert queue.results == []


def test_a_paid_order_without_subscription_items_is_ignored(client, queue):
    payload = paid_order()
    del payload["items"][0]["recurringBilling"]

    assert post(client, body(payload)).status_code == 200
    assert InboundNotification.objects.get().status == NotificationStatus.IGNORED
    assert queue.results == []


def test_a_replay_answers_200_is_kept_as_duplicate_and_changes_nothing(client, queue):
    first = post(client, body(paid_order()))
    queue.clear()

    again = post(client, body(paid_order()))
    third = post(client, body(paid_order(gross="1.00")))  # same purchase and type: the same notification

    assert (first.status_code, again.status_code, third.status_code) == (200, 200, 200)
    original = InboundNotification.objects.get(duplicate_of__isnull=True)
    replays = InboundNotification.objects.filter(duplicate_of=original)
    assert original.status == NotificationStatus.PENDING
    assert original.replay_count == 2 and original.last_replay_at is not None
    assert replays.count() == 2
    assert set(replays.values_list("status", flat=True)) == {NotificationStatus.DUPLICATE}
    assert queue.results == []


def test_the_same_purchase_with_another_type_is_not_a_duplicate(client):
    post(client, body(paid_order()))
    payload = paid_order()
    payload["meta"]["type"] = "RefundNotification"

    post(client, body(payload))

    assert not InboundNotification.objects.filter(status=NotificationStatus.DUPLICATE).exists()


def test_the_database_refuses_a_second_original_for_the_same_purchase_and_type(db):
    from django.db import IntegrityError, transaction

    InboundNotification.objects.create(purchase_id=1, notification_type="PaidOrderNotification")
    with pytest.raises(IntegrityError), transaction.atomic():
        InboundNotification.objects.create(purchase_id=1, notification_type="PaidOrderNotification")


def test_a_test_purchase_is_ignored_when_the_sandbox_is_off(client, settings, queue):
    settings.SANDBOX_ENABLED = False
    settings.CLEVERBRIDGE_ACCEPT_TEST_PURCHASES = False

    response = post(client, body(paid_order(status_id="TST")))

    assert response.status_code == 200
    stored = InboundNotification.objects.get()
    assert stored.status == NotificationStatus.IGNORED
    assert "TST" in stored.note
    assert queue.results == []


def test_a_test_purchase_is_processed_while_the_sandbox_is_on(client, settings, queue):
    settings.SANDBOX_ENABLED = True
    settings.CLEVERBRIDGE_ACCEPT_TEST_PURCHASES = True

    post(client, body(paid_order(status_id="TST")))

    assert InboundNotification.objects.get().status == NotificationStatus.PENDING
    assert queue.names() == ["process_notification"]


def test_test_purchases_are_processed_with_the_sandbox_off_when_accepted_explicitly(client, settings, queue):
    settings.SANDBOX_ENABLED = False
    settings.CLEVERBRIDGE_ACCEPT_TEST_PURCHASES = True

    post(client, body(paid_order(status_id="TST")))

    assert InboundNotification.objects.get().status == NotificationStatus.PENDING
    assert queue.names() == ["process_notification"]


def test_test_purchases_are_ignored_with_the_sandbox_on_when_refused_explicitly(client, settings, queue):
    settings.SANDBOX_ENABLED = True
    settings.CLEVERBRIDGE_ACCEPT_TEST_PURCHASES = False

    post(client, body(paid_order(status_id="TST")))

    assert InboundNotification.objects.get().status == NotificationStatus.IGNORED
    assert queue.results == []


INT_MAX = 2**31 - 1  # a PositiveIntegerField on PostgreSQL
BIGINT_MAX = 2**63 - 1


def _billing(**fields):
    payload = paid_order()
    payload["items"][0]["recurringBilling"].update(fields)
    return payload


@pytest.mark.parametrize(
    "payload, why",
    [
        (_billing(intervalNumber=INT_MAX + 1), "intervalNumber is out of range"),
        (_billing(intervalNumber=2**62 - 1), "intervalNumber is out of range"),
        (_billing(subscriptionItemRunningNo=INT_MAX + 1), "subscriptionItemRunningNo is out of range"),
        (_billing(subscriptionId=f"S{BIGINT_MAX + 1}"), "subscriptionId is out of range"),
        (paid_order(purchase_id=BIGINT_MAX + 1), "purchaseId is out of range"),
    ],
)
def test_whole_numbers_larger_than_the_database_holds_are_malformed(payload, why):
    """Parsed numbers are bounded by the model fields they are written to (PostgreSQL raises DataError past them)."""
    with pytest.raises(Malformed, match=why):
        parse_paid_order(payload)


def test_whole_numbers_up_to_what_the_database_holds_are_read():
    payload = _billing(intervalNumber=INT_MAX, subscriptionItemRunningNo=INT_MAX, subscriptionId=f"S{BIGINT_MAX}")
    payload["purchaseId"] = BIGINT_MAX
    payload["items"][0].update(quantity=INT_MAX, productId=BIGINT_MAX)

    order = parse_paid_order(payload)

    assert order.purchase_id == BIGINT_MAX
    item = order.items[0]
    assert (item.interval_number, item.running_no, item.subscription_id) == (INT_MAX, INT_MAX, BIGINT_MAX)
    assert (item.quantity, item.product_id) == (INT_MAX, BIGINT_MAX)


def test_an_interval_number_too_large_to_store_is_answered_400_not_stored_as_pending(client, queue):
    response = post(client, body(_billing(intervalNumber=INT_MAX + 1)))

    assert response.status_code == 400
    stored = InboundNotification.objects.get()
    assert stored.status == NotificationStatus.MALFORMED
    assert queue.results == []
