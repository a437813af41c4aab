"""The vendor's subscription events: stored, de-duplicated, and processed as hints (a fresh read), confirming a
change of ours, recorded as not ours, or sending a refunded or charged-back change to support."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sandbox.models import NotificationDelivery
from subscriptions import reads
from subscriptions.models import ChangeKind, InboundNotification, LedgerEntry, NotificationStatus, QuoteState
from subscriptions.notifications import notification_process
from tests.cast import BACKUP, CLOUDIFY_L, MONTHLY, with_plans
from tests.changes.flows import commit as web_commit
from tests.changes.flows import preview
from tests.changes.scheduled import actions, commit, entry, quote
from tests.notifications.conftest import ENDPOINT

RENEWAL = "SubscriptionRenewalTypeChangedNotification"
CANCELED = "RecurringBillingCanceledNotification"
REINSTATED = "RecurringBillingReinstatedNotification"


@pytest.fixture
def scenario(scenario):
    scenario["subscriptions"][0]["items"].append({"product_id": BACKUP, "quantity": 1})
    return scenario


def _rows(kind: str) -> list[InboundNotification]:
    return list(InboundNotification.objects.filter(notification_type=kind).order_by("id"))


def test_a_cancellation_is_confirmed_by_the_renewal_type_notification(anna, catalog, vendor, queue):
    cancel = commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL, details={"reason_code": "unused"})).quote
    assert cancel.state == QuoteState.COMMITTED

    queue.run()

    [row] = _rows(RENEWAL)
    assert (row.status, row.quote, row.subscription_id) == (NotificationStatus.PROCESSED, cancel, MONTHLY)
    assert actions(cancel)[-1] == "change.confirmed_by_notification"
    data = entry(cancel, "change.confirmed_by_notification")
    assert data["notification"]["renewal_type"] == "Manual"
    assert data["subscription"]["renewal_type"] == "Manual"
    cancel.refresh_from_db()
    assert cancel.state == QuoteState.COMMITTED and not cancel.needs_support


def test_the_subscription_ending_confirms_the_cancellation_again(anna, catalog, vendor, queue):
    cancel = commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL)).quote
    queue.run()

    vendor.clock("2026-05-24T10:00:00Z")
    reads.subscription_fresh(subscription_id=MONTHLY)  # the vendor finishes it at its billing date
    queue.run()

    [row] = _rows(CANCELED)
    assert (row.status, row.quote) == (NotificationStatus.PROCESSED, cancel)
    assert actions(cancel).count("change.confirmed_by_notification") == 2


def test_a_resume_is_confirmed_and_not_taken_for_the_cancellation(anna, catalog, vendor, queue):
    cancel = commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL)).quote
    queue.run()
    resume = commit(anna, quote(anna, MONTHLY, ChangeKind.RESUME)).quote

    queue.run()

    first, second = _rows(RENEWAL)
    assert (first.quote, second.quote) == (cancel, resume)
    assert actions(resume)[-1] == "change.confirmed_by_notification"


def test_a_reinstatement_confirms_the_reactivation(anna, catalog, vendor, queue):
    commit(anna, quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2))
    back = commit(anna, quote(anna, MONTHLY, ChangeKind.REACTIVATE, running_no=2)).quote

    queue.run()

    [row] = _rows(REINSTATED)
    assert (row.status, row.quote) == (NotificationStatus.PROCESSED, back)
    assert actions(back)[-1] == "change.confirmed_by_notification"


def test_a_change_made_elsewhere_is_processed_as_not_ours_and_read_again(anna, vendor, queue, vendor_calls, client):
    vendor.client.post(
        "/sandbox/api/subscription/updatesubscriptionrenewaltype",
        '{"SubscriptionId": "S68574751", "RenewalType": "Manual"}',
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic c2FuZGJveDpzYW5kYm94",
    )
    vendor_calls.clear()

    queue.run()

    [row] = _rows(RENEWAL)
    assert row.status == NotificationStatus.PROCESSED and row.quote is None
    assert "no change of ours" in row.note
    assert vendor_calls.methods() == ["getsubscription"]
    assert not LedgerEntry.objects.filter(action="change.confirmed_by_notification").exists()


def test_a_replayed_event_is_stored_as_a_duplicate_and_changes_nothing(anna, catalog, vendor, queue, client):
    cancel = commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL)).quote
    queue.run()
    delivery = NotificationDelivery.objects.get(kind=RENEWAL)
    entries = LedgerEntry.objects.count()

    response = client.generic("POST", ENDPOINT, delivery.body, content_type="application/json")
    queue.run()

    assert response.status_code == 200
    original, replay = _rows(RENEWAL)
    assert (replay.status, replay.duplicate_of) == (NotificationStatus.DUPLICATE, original)
    assert LedgerEntry.objects.count() == entries
    assert actions(cancel).count("change.confirmed_by_notification") == 1


def test_an_unknown_outcome_is_settled_by_the_event_and_a_read(anna, catalog, vendor, queue):
    vendor.fault("updatesubscriptionrenewaltype", mode="apply_then_error", status=500)
    cancel = commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL)).quote
    assert cancel.state == QuoteState.OUTCOME_UNKNOWN

    queue.run(only="deliver_notification")
    queue.run(only="process_notification")

    cancel.refresh_from_db()
    assert cancel.state == QuoteState.COMMITTED
    trail = actions(cancel)
    assert trail[trail.index("change.outcome_unknown") + 1 :] == [
        "change.confirmed_applied",  # nothing was charged, so nothing goes to support as charged after an error
        "change.confirmed_by_notification",
    ]
    assert not cancel.needs_support


@pytest.mark.parametrize(("kind", "action"), [("refund", "change.refunded"), ("chargeback", "change.charged_back")])
def test_money_going_back_sends_the_paid_change_to_support(anna_client, vendor, queue, kind, action):
    _, paid = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=2)
    web_commit(anna_client, paid)
    queue.run()
    paid.refresh_from_db()
    assert paid.state == QuoteState.PAID

    vendor._post(f"purchases/{paid.purchase_id}/{kind}", {})
    queue.run()

    paid.refresh_from_db()
    assert paid.needs_support and paid.state == QuoteState.PAID
    assert actions(paid)[-1] == action
    assert entry(paid, action)["notification"]["purchase_id"] == paid.purchase_id
    [row] = InboundNotification.objects.filter(notification_type__in=["RefundNotification", "ChargebackNotification"])
    assert (row.status, row.quote) == (NotificationStatus.PROCESSED, paid)


def test_money_going_back_for_a_purchase_of_no_change_of_ours_is_kept_for_support(anna, vendor, queue):
    initial = next(p for p in vendor.all_purchases(MONTHLY) if p["Category"] == "New")

    vendor._post(f"purchases/{initial['PurchaseId']}/refund", {})
    queue.run()

    [row] = InboundNotification.objects.filter(notification_type="RefundNotification")
    assert row.status == NotificationStatus.UNMATCHED and "no change of ours" in row.note


def test_a_plan_switch_now_is_paid_by_the_paid_order_notification(anna, catalog, vendor, queue, scenario):
    vendor.load(with_plans(scenario, CLOUDIFY_L), reset=True)
    switch = commit(anna, quote(anna, MONTHLY, ChangeKind.SWITCH_NOW, running_no=1, product_id=CLOUDIFY_L)).quote
    assert switch.state == QuoteState.COMMITTED and switch.awaiting_confirmation

    queue.run()

    switch.refresh_from_db()
    assert switch.state == QuoteState.PAID
    assert switch.purchase_id == vendor.purchases(MONTHLY)[0]["PurchaseId"]


def test_a_refund_that_overtakes_its_payment_waits_for_it(anna_client, vendor, queue):
    _, paid = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=2)
    web_commit(anna_client, paid)
    queue.run(only="deliver_notification")  # the payment notification is stored, not yet matched
    [payment] = InboundNotification.objects.filter(notification_type="PaidOrderNotification")
    vendor.money_back(payment.purchase_id)
    queue.run(only="deliver_notification")
    [refund] = InboundNotification.objects.filter(notification_type="RefundNotification")

    notification_process(notification_id=refund.pk)  # the refund is looked at first
    refund.refresh_from_db()
    assert refund.status == NotificationStatus.PENDING  # not given up as "no change of ours"

    queue.run(now=timezone.now() + timedelta(hours=1))

    paid.refresh_from_db()
    refund.refresh_from_db()
    assert (paid.state, paid.needs_support, refund.status) == (QuoteState.PAID, True, NotificationStatus.PROCESSED)
    assert actions(paid)[-1] == "change.refunded"
