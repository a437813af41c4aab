"""The control API's refunds and chargebacks: the vendor notifies that a purchase's money went back."""

import json
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sandbox.models import NotificationDelivery, Purchase
from tests.sandbox.api import body_of, change
from tests.sandbox.test_changes import dump
from tests.sandbox.test_faults import INCREASE
from tests.sandbox.test_faults import subscription as subscription_fixture

subscription = subscription_fixture


@pytest.fixture
def charged(api, subscription) -> Purchase:
    assert api.post(INCREASE, change(subscription.pk, 5)).status_code == 200
    return Purchase.objects.get(category="Alignment")


@pytest.mark.parametrize(
    ("kind", "type_"), [("refund", "RefundNotification"), ("chargeback", "ChargebackNotification")]
)
def test_money_back_is_notified(api, subscription, charged, kind, type_):
    response = api.control("post", f"purchases/{charged.vendor_id}/{kind}", {})

    assert response.status_code == 200, response.content
    shown = body_of(response)["Notification"]
    delivery = NotificationDelivery.objects.get(kind=type_)
    assert (shown["type"], shown["PurchaseId"], shown["SubscriptionId"]) == (type_, charged.vendor_id, subscription.pk)
    payload = json.loads(delivery.body, parse_float=D)
    status, status_id = {"refund": ("Refunded", "REF"), "chargeback": ("Chargeback", "CHB")}[kind]
    assert payload == {
        "meta": {
            "type": type_,
            "date": "2026-05-03T15:57:14.106747",
            "schemaUrl": f"https://www.cleverbridge.com/JsonNotificationSchemas/{type_}",
        },
        "purchase": {
            "purchaseId": charged.vendor_id,
            "reimbursementId": charged.pk,
            "status": status,
            "statusId": status_id,
            "reimbursementTime": "2026-05-03T15:57:14.106747",
            "currencyId": "USD",
            "totalGrossPrice": charged.gross.quantize(D("0.01")),
            "totalNetPrice": charged.net.quantize(D("0.01")),
            "totalVatPrice": charged.vat.quantize(D("0.01")),
            "items": [
                {
                    "runningNumber": 1,
                    "totalGrossPrice": charged.gross.quantize(D("0.01")),
                    "recurringBilling": {
                        "subscriptionId": f"S{subscription.pk}",
                        "subscriptionItemRunningNo": 1,
                        "intervalNumber": 0,
                    },
                }
            ],
        },
    }
    assert shown["body"] == payload
    assert delivery.purchase == charged and delivery.subscription_id == subscription.pk


def test_money_back_changes_nothing_else(api, subscription, charged):
    before = dump()
    api.control("post", f"purchases/{charged.vendor_id}/refund", {})
    assert dump() == before


def test_a_renewal_can_be_refunded_too(api, subscription):
    api.set_clock("2026-05-24T00:00:00Z")
    api.subscription(subscription.pk)
    renewal = Purchase.objects.get(category="Renewal")
    assert api.control("post", f"purchases/{renewal.vendor_id}/chargeback", {}).status_code == 200
    payload = json.loads(NotificationDelivery.objects.get(kind="ChargebackNotification").body)
    billing = payload["purchase"]["items"][0]["recurringBilling"]
    assert billing["subscriptionItemRunningNo"] is None  # a renewal is the whole subscription's
    assert billing["intervalNumber"] == 1


def test_the_notifications_list_filters_by_subscription_and_says_the_type(api, subscription, charged):
    api.control("post", f"purchases/{charged.vendor_id}/refund", {})
    listed = body_of(api.control("get", "notifications", subscription_id=subscription.pk))["Notifications"]
    assert [n["type"] for n in listed] == ["RefundNotification", "PaidOrderNotification"]
    assert body_of(api.control("get", "notifications", subscription_id=1))["Notifications"] == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("purchases/1/refund", 404),
        ("purchases/538988783/refund", 404),
        ("purchases/999999999/chargeback", 404),
        ("purchases/{id}/gift", 400),
    ],
)
def test_refusals(api, charged, path, status):
    response = api.control("post", path.format(id=charged.vendor_id), {})
    assert response.status_code == status
    assert not NotificationDelivery.objects.exclude(kind="PaidOrderNotification").exists()


def test_only_post(api, charged):
    assert api.control("get", f"purchases/{charged.vendor_id}/refund").status_code == 405


def test_the_control_needs_the_credentials(client, charged):
    assert client.post(f"/sandbox/control/purchases/{charged.vendor_id}/refund").status_code == 401


def test_the_command_plans_a_refund_or_a_chargeback(charged):
    out = StringIO()
    call_command("sandbox_notifications", "--refund", str(charged.vendor_id), stdout=out)
    call_command("sandbox_notifications", "--chargeback", str(charged.vendor_id), stdout=out)

    assert f"refund of purchase {charged.vendor_id} planned" in out.getvalue()
    assert "RefundNotification" in out.getvalue() and "ChargebackNotification" in out.getvalue()
    with pytest.raises(CommandError, match=r"Purchase not found\."):
        call_command("sandbox_notifications", "--refund", "1")
