"""The client against the sandbox in-process: changes at the next billing date, removals, reinstatements, the
renewal type, and the sandbox's own notifications read by the client's parser."""

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from subscriptions.cleverbridge import (
    DeactivateItems,
    IncreaseQuantity,
    OutcomeUnknown,
    ReinstateItems,
    Rejected,
    SetRenewalType,
    SubscriptionEvent,
    UpdateItem,
    parse_subscription_event,
)
from subscriptions.cleverbridge import client as cleverbridge
from subscriptions.cleverbridge.payloads import parse_paid_order
from tests.client.sandbox_control import BACKUP_ADDON, CLOUDIFY_M, GUIDE_NOW, SCENARIO, SUBSCRIPTION_ID, Sandbox

pytestmark = pytest.mark.django_db

NEXT_BILLING = datetime(2026, 5, 23, 15, 57, 14, 106747, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Sandbox:
    """The guide's subscription with a Backup add-on (2 x 20.00) beside its ten seats."""
    scenario = copy.deepcopy(SCENARIO)
    scenario["subscriptions"][0]["items"].append({"product_id": BACKUP_ADDON, "quantity": 2})
    control = Sandbox()
    control.load(scenario)
    control.set_clock(GUIDE_NOW)
    return control


@pytest.fixture
def client():
    return cleverbridge.get_client()


def bodies(sandbox: Sandbox) -> list[dict]:
    """The bodies of the sandbox's notifications, oldest first, with exact amounts as the receiver reads them."""
    listed = reversed(sandbox.notifications(SUBSCRIPTION_ID))
    return [json.loads(json.dumps(n["body"]), parse_float=Decimal) for n in listed]


def events(sandbox: Sandbox) -> list[SubscriptionEvent]:
    """The sandbox's notifications other than paid orders, read by the product's parser."""
    return [
        parse_subscription_event(body) for body in bodies(sandbox) if body["meta"]["type"] != "PaidOrderNotification"
    ]


def test_a_downgrade_at_the_next_billing_date_is_read_as_scheduled(sandbox, client):
    change = UpdateItem(SUBSCRIPTION_ID, 1, CLOUDIFY_M, 8, update_action="Downgrade", at_next_billing=True)

    preview = client.preview(change)
    quote = client.commit(change)

    assert preview.charge_now.gross == quote.charge_now.gross == Decimal("0.00")
    assert preview.next_billing == quote.next_billing
    assert quote.next_billing.gross == Decimal("680.00")  # 8 x 80.00 + 2 x 20.00
    subscription = client.get_subscription(SUBSCRIPTION_ID)
    assert subscription.item(1).quantity == 10
    scheduled = subscription.scheduled_item(1)
    assert (scheduled.quantity, scheduled.version_active, scheduled.is_current) == (8, NEXT_BILLING, False)
    assert subscription.scheduled_items == (scheduled,)
    assert subscription.next_billing.gross == Decimal("680.00")
    assert sandbox.purchases(SUBSCRIPTION_ID) == []


def test_an_undo_removes_the_scheduled_version(sandbox, client):
    client.commit(UpdateItem(SUBSCRIPTION_ID, 1, CLOUDIFY_M, 8, update_action="Downgrade", at_next_billing=True))
    client.commit(UpdateItem(SUBSCRIPTION_ID, 1, CLOUDIFY_M, 10, update_action="Update", at_next_billing=True))
    assert client.get_subscription(SUBSCRIPTION_ID).scheduled_items == ()


def test_an_immediate_change_with_a_scheduled_one_is_rejected(sandbox, client):
    client.commit(UpdateItem(SUBSCRIPTION_ID, 1, CLOUDIFY_M, 8, update_action="Downgrade", at_next_billing=True))
    with pytest.raises(Rejected) as caught:
        client.preview(UpdateItem(SUBSCRIPTION_ID, 1, CLOUDIFY_M, 12))
    assert caught.value.status == 402
    assert caught.value.message == "Invalid parameters. A change is scheduled for this item; undo it first."


def test_a_removal_then_its_withdrawal(sandbox, client):
    exchange = client.apply(DeactivateItems(SUBSCRIPTION_ID, (2,)))

    assert exchange.status == 200
    backup = client.get_subscription(SUBSCRIPTION_ID).item(2)
    assert backup.removal_scheduled and backup.deactivation_date == NEXT_BILLING
    assert sandbox.emails(SUBSCRIPTION_ID)[0]["Body"].startswith("Cloudify Backup ends on 2026-05-23")

    client.apply(ReinstateItems(SUBSCRIPTION_ID, (2,)))

    backup = client.get_subscription(SUBSCRIPTION_ID).item(2)
    assert not backup.removal_scheduled and backup.deactivation_date is None
    assert [e.type for e in events(sandbox)] == ["RecurringBillingReinstatedNotification"]


def test_a_deactivated_item_is_reinstated(sandbox, client):
    client.apply(DeactivateItems(SUBSCRIPTION_ID, (2,)))
    sandbox.set_clock("2026-05-24T00:00:00Z")
    assert client.get_subscription(SUBSCRIPTION_ID).item(2).is_deactivated

    client.apply(ReinstateItems(SUBSCRIPTION_ID, (2,)))

    subscription = client.get_subscription(SUBSCRIPTION_ID)
    assert subscription.item(2).is_active and subscription.next_billing.gross == Decimal("840.00")
    (event,) = events(sandbox)
    assert (event.type, event.subscription_id, event.running_nos, event.running_no) == (
        "RecurringBillingReinstatedNotification",
        SUBSCRIPTION_ID,
        (2,),
        2,
    )
    assert event.date == datetime(2026, 5, 24, tzinfo=UTC)


def test_the_last_item_cannot_be_removed(sandbox, client):
    with pytest.raises(Rejected) as caught:
        client.apply(DeactivateItems(SUBSCRIPTION_ID, (1, 2)))
    assert (caught.value.status, caught.value.message) == (
        402,
        "Invalid parameters. At least one item must stay active.",
    )


def test_an_unknown_item_is_rejected(sandbox, client):
    with pytest.raises(Rejected) as caught:
        client.apply(ReinstateItems(SUBSCRIPTION_ID, (7,)))
    assert caught.value.status == 404


def test_cancel_at_period_end_then_resume(sandbox, client):
    client.apply(SetRenewalType(SUBSCRIPTION_ID, "Manual"))

    subscription = client.get_subscription(SUBSCRIPTION_ID)
    assert subscription.cancels_at_period_end and subscription.ends_on == NEXT_BILLING

    client.apply(SetRenewalType(SUBSCRIPTION_ID, "Automatic"))

    subscription = client.get_subscription(SUBSCRIPTION_ID)
    assert not subscription.cancels_at_period_end and subscription.ends_on is None
    assert {e.purchase_id for e in events(sandbox)} == {sandbox.all_charges()[-1]["PurchaseId"]}  # the first
    assert [(e.type, e.renewal_type) for e in events(sandbox)] == [
        ("SubscriptionRenewalTypeChangedNotification", "Manual"),
        ("SubscriptionRenewalTypeChangedNotification", "Automatic"),
    ]


def test_a_cancelled_subscription_ends_at_its_billing_date(sandbox, client):
    client.apply(SetRenewalType(SUBSCRIPTION_ID, "Manual"))
    sandbox.set_clock("2026-05-24T00:00:00Z")

    subscription = client.get_subscription(SUBSCRIPTION_ID)

    assert (subscription.status, subscription.end_date, subscription.ends_on) == (3, NEXT_BILLING, NEXT_BILLING)
    assert not subscription.cancels_at_period_end
    canceled = events(sandbox)[-1]
    assert (canceled.type, canceled.subscription_id) == ("RecurringBillingCanceledNotification", SUBSCRIPTION_ID)
    with pytest.raises(Rejected) as caught:
        client.apply(SetRenewalType(SUBSCRIPTION_ID, "Automatic"))
    assert caught.value.message == "Invalid parameters. Subscription is not active."


@pytest.mark.parametrize("kind", ["refund", "chargeback"])
def test_money_back_is_read_with_its_purchase_and_amount(sandbox, client, kind):
    client.commit(IncreaseQuantity(SUBSCRIPTION_ID, 1, 15))
    (charged,) = sandbox.purchases(SUBSCRIPTION_ID)
    paid = parse_paid_order(bodies(sandbox)[0])

    sandbox.money_back(charged["PurchaseId"], kind)

    (event,) = events(sandbox)
    assert event.type == {"refund": "RefundNotification", "chargeback": "ChargebackNotification"}[kind]
    assert (event.purchase_id, event.subscription_id, event.running_no) == (paid.purchase_id, SUBSCRIPTION_ID, 1)
    assert (event.amount, event.currency) == (Decimal("1159.89"), "USD")


@pytest.mark.parametrize("mode", ["apply_then_error", "error"])
def test_a_failed_answer_to_apply_is_outcome_unknown_and_not_resent(sandbox, client, mode):
    sandbox.fault(mode, method="deactivatesubscriptionitems", status=500, on="commit")

    with pytest.raises(OutcomeUnknown):
        client.apply(DeactivateItems(SUBSCRIPTION_ID, (2,)))

    applied = client.get_subscription(SUBSCRIPTION_ID).item(2).removal_scheduled
    assert applied is (mode == "apply_then_error")
