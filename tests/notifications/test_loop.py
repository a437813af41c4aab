"""The whole loop in the sandbox: consent and commit, the sandbox's notification, the worker, the change paid."""

from __future__ import annotations

import json

import httpx
import pytest
from django.urls import reverse

from sandbox.models import DeliveryState, NotificationDelivery
from subscriptions.cleverbridge import client as cleverbridge
from subscriptions.models import InboundNotification, LedgerEntry, NotificationStatus, Quote, QuoteState
from tests.cast import BACKUP, CLOUDIFY_M, MONTHLY, OTTOS, sign_in
from tests.changes.flows import HTMX, commit, preview
from tests.conftest import InProcessTransport
from tests.notifications.conftest import ENDPOINT
from tests.notifications.payloads import body, paid_order


def _increase(anna_client, quantity: int = 15) -> Quote:
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=quantity)
    commit(anna_client, quote)
    quote.refresh_from_db()
    return quote


def _actions(quote: Quote) -> list[str]:
    return list(LedgerEntry.objects.filter(quote=quote).order_by("id").values_list("action", flat=True))


def test_a_committed_change_turns_paid_when_the_sandbox_notifies(anna_client, vendor, queue):
    quote = _increase(anna_client)
    assert quote.state == QuoteState.COMMITTED
    assert queue.names() == ["deliver_notification"]  # the vendor sends later, not during the commit

    queue.run()

    quote.refresh_from_db()
    purchase = vendor.purchases(MONTHLY)[0]
    assert quote.state == QuoteState.PAID
    assert quote.purchase_id == purchase["PurchaseId"]
    assert quote.interval_number == purchase["IntervalNo"]
    assert quote.paid_next_billing_date is not None and quote.paid_at is not None
    assert _actions(quote)[-2:] == ["change.committed", "change.paid"]
    paid = LedgerEntry.objects.get(quote=quote, action="change.paid")
    assert paid.data["notification"]["purchase_id"] == purchase["PurchaseId"]
    assert paid.data["notification"]["gross"] == "1159.89"
    assert paid.data["notification"]["revenue_category"] == "Alignment"
    notification = InboundNotification.objects.get()
    assert notification.status == NotificationStatus.PROCESSED and notification.quote == quote
    assert NotificationDelivery.objects.get().state == DeliveryState.DELIVERED

    page = anna_client.get(reverse("subscriptions:receipt", args=[quote.public_id])).content.decode()
    assert "Your change is done and paid." in page
    assert str(purchase["PurchaseId"]) in page


def test_an_addon_learns_its_running_number_from_the_vendor(anna_client, vendor, queue):
    _, quote = preview(anna_client, MONTHLY, kind="addon", product_id=BACKUP)
    commit(anna_client, quote)
    queue.run()

    quote.refresh_from_db()
    assert quote.state == QuoteState.PAID
    assert quote.result_running_no == vendor.current_items(MONTHLY)[BACKUP]["RunningNo"] == 2


def test_duplicated_deliveries_pay_once(anna_client, vendor, queue):
    vendor._post("notifications", {"duplicate": 2})
    quote = _increase(anna_client)

    queue.run()

    quote.refresh_from_db()
    assert quote.state == QuoteState.PAID
    assert NotificationDelivery.objects.filter(state=DeliveryState.DELIVERED).count() == 3
    statuses = sorted(InboundNotification.objects.values_list("status", flat=True))
    assert statuses == ["duplicate", "duplicate", "processed"]
    assert _actions(quote).count("change.paid") == 1


def test_a_replay_after_payment_changes_nothing(anna_client, vendor, queue, client):
    quote = _increase(anna_client)
    queue.run()
    delivery = NotificationDelivery.objects.get()
    entries = LedgerEntry.objects.count()

    response = client.generic("POST", ENDPOINT, delivery.body, content_type="application/json")
    queue.run()

    assert response.status_code == 200
    assert LedgerEntry.objects.count() == entries
    quote.refresh_from_db()
    assert quote.state == QuoteState.PAID
    assert InboundNotification.objects.get(duplicate_of__isnull=True).replay_count == 1


def test_reordered_deliveries_each_pay_their_own_change(anna_client, vendor, queue):
    vendor._post("notifications", {"hold": True})
    seats = _increase(anna_client)
    _, addon = preview(anna_client, MONTHLY, kind="addon", product_id=BACKUP)
    commit(anna_client, addon)
    assert queue.results == []  # held

    vendor._post("notifications", {"hold": False, "release": "reverse"})
    queue.run()

    seats.refresh_from_db()
    addon.refresh_from_db()
    assert (seats.state, addon.state) == (QuoteState.PAID, QuoteState.PAID)
    first, second = InboundNotification.objects.order_by("id")
    assert first.quote == addon and second.quote == seats  # the later purchase arrived first
    assert seats.purchase_id < addon.purchase_id


class NotifiesDuringCommit(InProcessTransport):
    """The vendor's notification arrives (and the worker runs) before the commit's answer reaches us."""

    def __init__(self, queue):
        self.queue = queue

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        body = json.loads(request.read() or b"{}") if request.method == "POST" else {}
        if body.get("AlignmentSettings", {}).get("GetCustomerPricePreviewOnly") is False:
            self.queue.run()
        return response


def test_a_notification_that_overtakes_the_commit_waits_and_then_pays(anna_client, vendor, queue, monkeypatch):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    transport = NotifiesDuringCommit(queue)
    monkeypatch.setattr(cleverbridge, "make_transport", lambda: transport)

    commit(anna_client, quote)

    notification = InboundNotification.objects.get()
    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED  # the commit's own answer still counts
    assert notification.status == NotificationStatus.PENDING
    assert "still being sent" in notification.note
    assert notification.next_attempt_at is not None

    queue.run()  # the commit's follow-up works the waiting notification at once

    quote.refresh_from_db()
    assert quote.state == QuoteState.PAID
    assert _actions(quote)[-2:] == ["change.committed", "change.paid"]


def _post(client, payload):
    return client.generic("POST", ENDPOINT, body(payload), content_type="application/json")


def test_a_notification_for_a_foreign_subscription_is_kept_unmatched(anna_client, vendor, queue, client):
    quote = _increase(anna_client)
    queue.clear()
    gross = str(quote.confirmed_charge_now_gross)

    _post(client, paid_order(subscription_id=f"S{OTTOS}", gross=gross))
    queue.run()

    notification = InboundNotification.objects.get()
    assert notification.status == NotificationStatus.UNMATCHED
    assert "no committed" in notification.note
    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    assert not LedgerEntry.objects.filter(action="change.paid").exists()


@pytest.mark.parametrize(
    "payload",
    [
        paid_order(subscription_id="S99999999"),  # unknown at the vendor
        paid_order(gross="1.00"),  # another amount
        paid_order(running_no=7),  # another item
        paid_order(currency="EUR"),
    ],
)
def test_a_notification_that_matches_no_change_changes_nothing(anna_client, vendor, queue, client, payload):
    quote = _increase(anna_client)
    queue.clear()

    _post(client, payload)
    queue.run()

    assert InboundNotification.objects.get().status == NotificationStatus.UNMATCHED
    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED


def test_a_notification_the_vendor_does_not_confirm_is_not_trusted(anna_client, vendor, queue, client, settings):
    """Right subscription, item and amount, but the vendor's subscription does not show the change."""
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    vendor.fault("increasesubscriptionitemquantity", on="commit", mode="error", status=500)
    commit(anna_client, quote)
    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN and vendor.purchases(MONTHLY) == []
    queue.clear()

    _post(client, paid_order(gross=str(quote.charge_now_gross)))
    queue.run(only="process_notification")

    notification = InboundNotification.objects.get()
    assert notification.status == NotificationStatus.PENDING
    assert "does not show the change" in notification.note
    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 10


def test_the_receipt_polls_until_the_change_is_paid(anna_client, vendor, queue):
    quote = _increase(anna_client)
    url = reverse("subscriptions:receipt", args=[quote.public_id])

    page = anna_client.get(url).content.decode()
    fragment = anna_client.get(url, **HTMX).content.decode()

    assert 'hx-trigger="every 2s"' in page and f'hx-get="{url}"' in page
    assert "Refresh" in page  # without JavaScript
    assert "<html" not in fragment and 'hx-trigger="every 2s"' in fragment
    assert "Waiting for the billing provider to confirm the payment." in fragment

    queue.run()

    fragment = anna_client.get(url, **HTMX).content.decode()
    assert "Your change is done and paid." in fragment
    assert "Payment received" in fragment[fragment.index('id="timeline-title"') :]  # the timeline follows too
    assert "hx-trigger" not in fragment  # final: polling stops


def test_another_customers_receipt_fragment_is_404(anna_client, vendor, queue, client, otto):
    quote = _increase(anna_client)
    other = sign_in(client, otto)
    assert other.get(reverse("subscriptions:receipt", args=[quote.public_id]), **HTMX).status_code == 404


def test_two_changes_to_one_item_before_either_is_paid_are_each_paid_by_their_own_purchase(anna_client, vendor, queue):
    first = _increase(anna_client, quantity=2)
    second = _increase(anna_client, quantity=2)
    assert first.state == second.state == QuoteState.COMMITTED
    assert first.confirmed_charge_now_gross == second.confirmed_charge_now_gross  # the sandbox's clock stands still

    queue.run()

    first.refresh_from_db()
    second.refresh_from_db()
    purchases = sorted(p["PurchaseId"] for p in vendor.purchases(MONTHLY))
    assert first.state == second.state == QuoteState.PAID
    assert [first.purchase_id, second.purchase_id] == purchases
    assert sorted(InboundNotification.objects.values_list("status", flat=True)) == ["processed", "processed"]


def test_a_change_followed_by_another_on_the_same_item_is_still_paid(anna_client, vendor, queue):
    first = _increase(anna_client, quantity=2)
    second = _increase(anna_client, quantity=3)

    queue.run()

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == second.state == QuoteState.PAID


def test_reordered_equal_amount_deliveries_pay_the_change_whose_quantity_they_carry(anna_client, vendor, queue):
    """Two equal charges on one item: without the notification's quantity the earlier change took the later purchase."""
    vendor._post("notifications", {"hold": True})
    first = _increase(anna_client, quantity=5)  # 10 → 15
    second = _increase(anna_client, quantity=5)  # 15 → 20, the same amount at the same (sandbox) time
    assert first.confirmed_charge_now_gross == second.confirmed_charge_now_gross

    vendor._post("notifications", {"hold": False, "release": "reverse"})
    queue.run()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (QuoteState.PAID, QuoteState.PAID)
    purchases = sorted(p["PurchaseId"] for p in vendor.purchases(MONTHLY))
    assert [first.purchase_id, second.purchase_id] == purchases  # each change holds its own purchase
    earlier, later = InboundNotification.objects.order_by("id")
    assert (earlier.quote, later.quote) == (second, first)  # the later purchase arrived first
