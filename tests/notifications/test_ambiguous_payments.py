"""A payment is matched to a change only when nothing else could explain it; otherwise support is told, not guessed.

The sandbox's notification carries the item's quantity after the purchase; the vendor's own may not, which the
hand-made payloads here (without a quantity) stand for.
"""

from __future__ import annotations

from subscriptions.models import InboundNotification, LedgerEntry, NotificationStatus, Quote, QuoteState
from tests.cast import CLOUDIFY_M, MONTHLY
from tests.changes.flows import commit, preview
from tests.changes.test_verified_outcomes import _outside_increase
from tests.notifications.conftest import ENDPOINT
from tests.notifications.payloads import body, paid_order


def _increase(anna_client, quantity: int = 1) -> Quote:
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=quantity)
    commit(anna_client, quote)
    quote.refresh_from_db()
    return quote


def _post(client, payload) -> None:
    response = client.generic("POST", ENDPOINT, body(payload), content_type="application/json")
    assert response.status_code == 200


def test_an_outside_change_of_the_same_amount_does_not_pay_ours(anna_client, vendor, queue):
    vendor._post("notifications", {"hold": True})
    ours = _increase(anna_client)  # 10 → 11
    _outside_increase(vendor, 1)  # 11 → 12 at the vendor's portal, the same amount
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 12
    own, outside = sorted(vendor.purchases(MONTHLY), key=lambda p: p["PurchaseId"])

    vendor._post("notifications", {"hold": False, "release": "reverse"})
    queue.run()

    ours.refresh_from_db()
    assert ours.purchase_id != outside["PurchaseId"]
    assert ours.state == QuoteState.PAID and ours.purchase_id == own["PurchaseId"]
    stranger = InboundNotification.objects.get(purchase_id=outside["PurchaseId"])
    assert stranger.status == NotificationStatus.UNMATCHED and stranger.quote is None


def test_two_purchases_that_could_pay_one_change_pay_nothing_and_are_flagged(anna_client, vendor, queue, client):
    quote = _increase(anna_client)
    queue.clear()
    gross = str(quote.confirmed_charge_now_gross)

    _post(client, paid_order(purchase_id=700001, gross=gross))
    _post(client, paid_order(purchase_id=700002, gross=gross))
    queue.run(only="process_notification")

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED and quote.purchase_id is None
    assert quote.needs_support
    entry = LedgerEntry.objects.filter(quote=quote, action="change.payment_ambiguous").last()
    assert sorted(entry.data["purchases"]) == [700001, 700002]
    for notification in InboundNotification.objects.all():
        assert notification.status == NotificationStatus.UNMATCHED
        assert "700001" in notification.note and "700002" in notification.note
        assert str(quote.public_id) in notification.note


def test_one_purchase_that_could_pay_two_changes_pays_neither_and_is_flagged(anna_client, vendor, queue, client):
    first = _increase(anna_client)  # 10 → 11
    second = _increase(anna_client)  # 11 → 12, the same amount
    assert first.confirmed_charge_now_gross == second.confirmed_charge_now_gross
    queue.clear()

    _post(client, paid_order(purchase_id=700003, gross=str(first.confirmed_charge_now_gross)))
    queue.run(only="process_notification")

    notification = InboundNotification.objects.get()
    assert notification.status == NotificationStatus.UNMATCHED and notification.quote is None
    assert str(first.public_id) in notification.note and str(second.public_id) in notification.note
    for quote in (first, second):
        quote.refresh_from_db()
        assert quote.state == QuoteState.COMMITTED and quote.needs_support
        entry = LedgerEntry.objects.get(quote=quote, action="change.payment_ambiguous")
        assert sorted(entry.data["changes"]) == sorted([str(first.public_id), str(second.public_id)])
        assert entry.data["purchases"] == [700003]


def test_a_read_showing_more_than_any_known_change_explains_confirms_nothing(anna_client, vendor, queue, client):
    quote = _increase(anna_client)  # 10 → 11
    queue.clear()
    _outside_increase(vendor, 3)  # 11 → 14, unknown to us
    queue.clear()

    _post(client, paid_order(purchase_id=700004, gross=str(quote.confirmed_charge_now_gross)))
    queue.run(only="process_notification")

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED and quote.purchase_id is None
    notification = InboundNotification.objects.get(purchase_id=700004)
    assert notification.status == NotificationStatus.PENDING
    assert "does not show the change" in notification.note
