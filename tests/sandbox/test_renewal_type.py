"""updatesubscriptionrenewaltype: Manual ends the subscription at its billing date, Automatic renews it again."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from sandbox.clock import clock_freeze
from sandbox.models import Fault, NotificationDelivery, OutboxEmail, Purchase, Subscription
from tests.sandbox.api import body_of
from tests.sandbox.factories import ProductFactory, SubscriptionFactory
from tests.sandbox.test_changes import dump

START = datetime(2026, 4, 23, 15, 57, 14, 106747, tzinfo=UTC)
NEXT_BILLING = "2026-05-23T15:57:14.106747"
RENEWAL_TYPE = "updatesubscriptionrenewaltype"


def renewal(subscription_id, renewal_type) -> dict:
    return {"SubscriptionId": f"S{subscription_id}", "RenewalType": renewal_type}


def kinds() -> list[str]:
    return list(NotificationDelivery.objects.order_by("id").values_list("kind", flat=True))


@pytest.fixture
def monthly(db):
    clock_freeze(at=START + timedelta(days=23))
    return SubscriptionFactory(id=68574751, start=START, items=[(ProductFactory(tiers={"USD": [(1, "80.00")]}), 10)])


@pytest.mark.parametrize("sent", ["Manual", "manual", "MANUAL"])
def test_manual_turns_automatic_renewal_off(api, monthly, sent):
    response = api.post(RENEWAL_TYPE, renewal(monthly.pk, sent))

    assert response.status_code == 200 and body_of(response) == {"ResultMessage": "OK"}
    subscription = api.subscription(monthly.pk)
    assert (subscription["RenewalType"], subscription["Subscriptionstatus"]) == ("Manual", 1)
    assert subscription["NextBillingDate"] == NEXT_BILLING
    assert subscription["EndDate"] is None
    assert not Purchase.objects.exclude(category="New").exists()


def test_the_change_is_notified_and_mailed(api, monthly):
    api.post(RENEWAL_TYPE, renewal(monthly.pk, "Manual"))

    delivery = NotificationDelivery.objects.get()
    payload = json.loads(delivery.body)
    assert payload["meta"] == {
        "type": "SubscriptionRenewalTypeChangedNotification",
        "date": "2026-05-16T15:57:14.106747",
        "schemaUrl": "https://www.cleverbridge.com/JsonNotificationSchemas/SubscriptionRenewalTypeChangedNotification",
    }
    assert payload["purchaseId"] is None  # the purchase that started it; the factory books none
    (entry,) = payload["items"]
    assert entry["recurringBilling"] == {
        "subscriptionId": f"S{monthly.pk}",
        "subscriptionItemRunningNo": 1,
        "nextBillingDate": NEXT_BILLING,
        "renewalType": "Manual",
    }
    assert "ends on 2026-05-23" in OutboxEmail.objects.get().body


def test_the_same_renewal_type_again_changes_nothing_and_notifies_nothing(api, monthly):
    before = dump()
    response = api.post(RENEWAL_TYPE, renewal(monthly.pk, "automatic"))
    assert response.status_code == 200 and body_of(response) == {"ResultMessage": "OK"}
    assert dump() == before
    assert kinds() == []


def test_a_manual_subscription_finishes_at_its_billing_date_and_the_vendor_says_so(api, monthly):
    api.post(RENEWAL_TYPE, renewal(monthly.pk, "Manual"))
    api.set_clock("2026-05-24T00:00:00Z")

    subscription = api.subscription(monthly.pk)

    assert (subscription["Subscriptionstatus"], subscription["EndDate"]) == (3, NEXT_BILLING)
    assert not Purchase.objects.filter(category="Renewal").exists()
    assert kinds() == ["SubscriptionRenewalTypeChangedNotification", "RecurringBillingCanceledNotification"]
    payload = json.loads(NotificationDelivery.objects.latest("id").body)
    billing = payload["items"][0]["recurringBilling"]
    assert (billing["subscriptionId"], billing["endDate"], billing["renewalType"]) == (
        f"S{monthly.pk}",
        NEXT_BILLING,
        "Manual",
    )
    assert payload["meta"]["type"] == "RecurringBillingCanceledNotification"
    api.subscription(monthly.pk)
    assert len(kinds()) == 2  # finishing happens once


def test_automatic_again_before_the_billing_date_resumes_the_renewal(api, monthly):
    api.post(RENEWAL_TYPE, renewal(monthly.pk, "Manual"))
    api.post(RENEWAL_TYPE, renewal(monthly.pk, "Automatic"))
    api.set_clock("2026-05-24T00:00:00Z")

    subscription = api.subscription(monthly.pk)

    assert (subscription["RenewalType"], subscription["Subscriptionstatus"]) == ("Automatic", 1)
    assert Purchase.objects.get(category="Renewal").gross == D("800.00")
    assert kinds() == ["SubscriptionRenewalTypeChangedNotification"] * 2
    latest = json.loads(NotificationDelivery.objects.latest("id").body)
    assert latest["items"][0]["recurringBilling"]["renewalType"] == "Automatic"


def test_a_finished_subscription_cannot_be_resumed(api, monthly):
    api.post(RENEWAL_TYPE, renewal(monthly.pk, "Manual"))
    api.set_clock("2026-05-24T00:00:00Z")

    response = api.post(RENEWAL_TYPE, renewal(monthly.pk, "Automatic"))

    assert response.status_code == 402
    assert body_of(response)["ResultMessage"] == "Invalid parameters. Subscription is not active."
    assert Subscription.objects.get().renewal_type == "Manual"


@pytest.mark.parametrize("status", [2, 4, 5])
def test_a_subscription_that_is_not_active_is_refused(api, monthly, status):
    monthly.status = status
    monthly.save()
    response = api.post(RENEWAL_TYPE, renewal(monthly.pk, "Manual"))
    assert response.status_code == 402
    assert kinds() == []


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        (lambda pk: renewal(1, "Manual"), 404, "Subscription not found."),
        (lambda pk: {"SubscriptionId": f"S{pk}"}, 400, "Missing required field."),
        (lambda pk: {"RenewalType": "Manual"}, 400, "Missing required field."),
        (lambda pk: renewal(pk, "Never"), 400, "Invalid field type: RenewalType."),
        (lambda pk: renewal(pk, 1), 400, "Invalid field type: RenewalType."),
    ],
)
def test_refusals(api, monthly, payload, status, message):
    before = dump()
    response = api.post(RENEWAL_TYPE, payload(monthly.pk))
    assert (response.status_code, body_of(response)["ResultMessage"]) == (status, message)
    assert dump() == before


def test_faults_apply(api, monthly, slept):
    api.control("post", "faults", {"method": RENEWAL_TYPE, "mode": "error", "on": "commit", "status": 503})
    assert api.post(RENEWAL_TYPE, renewal(monthly.pk, "Manual")).status_code == 503
    assert Subscription.objects.get().renewal_type == "Automatic"
    api.control(
        "post", "faults", {"method": RENEWAL_TYPE, "mode": "apply_then_stall", "on": "commit", "delay_seconds": 30}
    )
    assert api.post(RENEWAL_TYPE, renewal(monthly.pk, "Manual")).status_code == 200
    assert slept == [30.0]
    assert Subscription.objects.get().renewal_type == "Manual"
    assert not Fault.objects.exists()
