"""What getsubscription says of changes to come: scheduled item versions, removals, the end of a subscription."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from subscriptions.cleverbridge import Unavailable
from tests.client.scripted import Vendor, fixture_text

NEXT_BILLING = datetime(2026, 5, 23, 15, 57, 14, 106747, tzinfo=UTC)


def guide() -> dict:
    return json.loads(fixture_text("getsubscription.json"))


def item(data: dict, **overrides) -> dict:
    entry = dict(data["Subscription"]["Items"][0])
    entry.update(overrides)
    return entry


def read(client_for, data: dict):
    return client_for(Vendor((200, json.dumps(data), {}))).get_subscription(68574751)


def with_scheduled_version(data: dict) -> dict:
    """Item 1 goes from 10 to 8 seats at the next billing date, as the vendor shows a downgrade."""
    scheduled = item(
        data,
        IsCurrent=False,
        Version=2,
        Quantity=8,
        VersionActiveDate="2026-05-23T15:57:14.106747",
        NextBillingCustomerGrossPrice=640.0,
        NextBillingCustomerNetPrice=537.82,
        NextBillingCustomerVatPrice=102.18,
    )
    data["Subscription"]["Items"].append(scheduled)
    return data


def test_a_scheduled_version_is_not_current_but_is_found(client_for):
    subscription = read(client_for, with_scheduled_version(guide()))

    (current,) = subscription.current_items
    assert (current.version, current.quantity) == (1, 10)
    scheduled = subscription.scheduled_item(1)
    assert scheduled is not None
    assert (scheduled.version, scheduled.quantity, scheduled.is_current) == (2, 8, False)
    assert scheduled.version_active == NEXT_BILLING
    assert scheduled.next_billing.gross == Decimal("640.0")
    assert subscription.scheduled_items == (scheduled,)
    assert subscription.scheduled_item(2) is None


def test_an_old_version_is_not_scheduled(client_for):
    """The vendor keeps every earlier version (IsCurrent false, a lower version): history, not a change to come."""
    data = guide()
    data["Subscription"]["Items"][0].update(Version=2, VersionActiveDate="2026-05-01T00:00:00")
    data["Subscription"]["Items"].append(
        item(data, IsCurrent=False, Version=1, Quantity=5, VersionActiveDate="2026-04-23T15:57:14.106747")
    )

    subscription = read(client_for, data)

    assert subscription.item(1).quantity == 10
    assert subscription.scheduled_item(1) is None
    assert subscription.scheduled_items == ()


def test_a_higher_version_that_is_not_later_is_not_scheduled(client_for):
    data = guide()
    data["Subscription"]["Items"].append(
        item(data, IsCurrent=False, Version=2, Quantity=8, VersionActiveDate="2026-04-01T00:00:00")
    )
    assert read(client_for, data).scheduled_item(1) is None


def test_the_latest_of_several_scheduled_versions_counts(client_for):
    data = with_scheduled_version(guide())
    data["Subscription"]["Items"].append(
        item(data, IsCurrent=False, Version=3, Quantity=6, VersionActiveDate="2026-05-23T15:57:14.106747")
    )
    assert read(client_for, data).scheduled_item(1).quantity == 6


def test_a_scheduled_removal(client_for):
    data = guide()
    data["Subscription"]["Items"][0]["DeactivationDate"] = "2026-05-23T15:57:14.106747"

    (entry,) = read(client_for, data).current_items

    assert entry.deactivation_date == NEXT_BILLING
    assert entry.is_active and entry.removal_scheduled and not entry.is_deactivated


def test_a_deactivated_item_stays_a_current_item(client_for):
    data = guide()
    data["Subscription"]["Items"].append(
        item(data, RunningNo=2, ProductId=294835, Status=2, DeactivationDate="2026-04-30T00:00:00")
    )

    subscription = read(client_for, data)

    removed = subscription.item(2)
    assert removed in subscription.current_items
    assert removed.is_deactivated and not removed.is_active and not removed.removal_scheduled
    assert removed.deactivation_date == datetime(2026, 4, 30, tzinfo=UTC)


def test_no_dates_means_nothing_scheduled(client_for):
    subscription = read(client_for, guide())
    (entry,) = subscription.current_items
    assert entry.deactivation_date is None and not entry.removal_scheduled
    assert subscription.end_date is None
    assert not subscription.cancels_at_period_end
    assert subscription.ends_on is None


@pytest.mark.parametrize("renewal_type", ["Manual", "manual"])
def test_a_manual_subscription_ends_at_its_billing_date(client_for, renewal_type):
    data = guide()
    data["Subscription"]["RenewalType"] = renewal_type

    subscription = read(client_for, data)

    assert subscription.cancels_at_period_end
    assert subscription.ends_on == NEXT_BILLING


def test_a_finished_subscription_ended_on_its_end_date(client_for):
    data = guide()
    data["Subscription"].update(RenewalType="Manual", Subscriptionstatus=3, EndDate="2026-05-23T15:57:14.106747")

    subscription = read(client_for, data)

    assert not subscription.cancels_at_period_end
    assert subscription.end_date == NEXT_BILLING
    assert subscription.ends_on == NEXT_BILLING


@pytest.mark.parametrize(("where", "field"), [("item", "DeactivationDate"), ("subscription", "EndDate")])
def test_an_unreadable_date_makes_the_answer_unreadable(client_for, where, field):
    data = guide()
    target = data["Subscription"]["Items"][0] if where == "item" else data["Subscription"]
    target[field] = "next Tuesday"
    with pytest.raises(Unavailable):
        read(client_for, data)
