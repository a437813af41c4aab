"""Sandbox time passing a billing date renews the subscription lazily, on the next access."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from sandbox.clock import clock_freeze
from sandbox.models import Purchase, RenewalType, SubscriptionStatus
from tests.sandbox.api import body_of, change
from tests.sandbox.factories import ProductFactory, SubscriptionFactory


@pytest.fixture
def month_end(db):
    """Ten seats at 80.00 a month from January 31, 2027."""
    product = ProductFactory(tiers={"USD": [(1, "80.00")]})
    clock_freeze(at=datetime(2027, 2, 1, tzinfo=UTC))
    return SubscriptionFactory(id=68574751, start=datetime(2027, 1, 31, 9, 0, tzinfo=UTC), items=[(product, 10)])


def test_automatic_renewal_moves_the_billing_date_and_books_a_purchase(api, month_end):
    assert api.subscription(month_end.pk)["NextBillingDate"] == "2027-02-28T09:00:00.000000"
    api.set_clock("2027-03-01T00:00:00Z")

    subscription = api.subscription(month_end.pk)

    assert subscription["NextBillingDate"] == "2027-03-31T09:00:00.000000"
    assert subscription["LastIntervalNo"] == 1
    renewal = Purchase.objects.get(category="Renewal")
    assert (renewal.gross, renewal.interval_no) == (D("800.00"), 1)
    assert renewal.created_at == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)
    refs = subscription["Items"][0]["SubscriptionPurchaseItems"]
    assert [r["SubscriptionIntervalNo"] for r in refs] == [1]


def test_several_due_renewals_are_booked_at_once(api, month_end):
    api.set_clock("2027-05-01T00:00:00Z")

    subscription = api.subscription(month_end.pk)

    assert subscription["NextBillingDate"] == "2027-05-31T09:00:00.000000"
    assert Purchase.objects.filter(category="Renewal").count() == 3


def test_renewing_twice_is_impossible(api, month_end):
    api.set_clock("2027-03-01T00:00:00Z")
    api.subscription(month_end.pk)
    api.subscription(month_end.pk)

    assert Purchase.objects.filter(category="Renewal").count() == 1


def test_a_preview_before_and_a_commit_after_the_renewal_date_cost_differently(api, month_end):
    api.set_clock("2027-02-21T09:00:00Z")  # 7 of 28 days left
    preview = body_of(api.post("increasesubscriptionitemquantity", change(month_end.pk, 4, preview=True)))
    api.set_clock("2027-03-01T09:00:00Z")  # past the renewal: 30 of 31 days left

    commit = body_of(api.post("increasesubscriptionitemquantity", change(month_end.pk, 4)))

    assert preview["AlignmentCustomerGrossPrice"] == D("80.00")
    assert commit["AlignmentCustomerGrossPrice"] == D("309.68")
    assert Purchase.objects.filter(category="Renewal").count() == 1


def test_manual_renewal_ends_the_subscription_at_its_billing_date(api, month_end):
    month_end.renewal_type = RenewalType.MANUAL
    month_end.save()
    api.set_clock("2027-03-01T00:00:00Z")

    subscription = api.subscription(month_end.pk)

    assert subscription["Subscriptionstatus"] == SubscriptionStatus.FINISHED
    assert subscription["EndDate"] == "2027-02-28T09:00:00.000000"
    assert not Purchase.objects.filter(category="Renewal").exists()
    assert api.post("increasesubscriptionitemquantity", change(month_end.pk, 1)).status_code == 402


def test_an_expired_card_puts_the_subscription_in_grace(api, month_end):
    month_end.card_expiry_year, month_end.card_expiry_month = 2027, 1
    month_end.save()
    api.set_clock("2027-03-01T00:00:00Z")

    subscription = api.subscription(month_end.pk)

    assert subscription["Subscriptionstatus"] == SubscriptionStatus.GRACE
    assert subscription["NextBillingDate"] == "2027-02-28T09:00:00.000000"
    assert not Purchase.objects.filter(category="Renewal").exists()


def test_leap_day_annual_subscription_renews_on_february_28(api, db):
    product = ProductFactory(interval="P1Y", tiers={"USD": [(1, "1200.00")]})
    subscription = SubscriptionFactory(start=datetime(2028, 2, 29, 12, 0, tzinfo=UTC), items=[(product, 1)])
    clock_freeze(at=datetime(2029, 3, 1, tzinfo=UTC))

    body = api.subscription(subscription.pk)

    assert body["NextBillingDate"] == "2030-02-28T12:00:00.000000"
    assert body["IntervalMonthCount"] == 12
