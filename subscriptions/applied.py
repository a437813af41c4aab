"""Does the vendor's subscription show a change? Read by reconciliation, the commit and payment matching alike.

Also what follows when it does although the vendor answered the commit with an error: the change is charged, so
the quote is committed and support is told, with the vendor's error and the read's facts.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from subscriptions import states
from subscriptions.cleverbridge import FINISHED
from subscriptions.models import RENEWAL_KINDS, ChangeKind, Quote

if TYPE_CHECKING:
    from subscriptions.cleverbridge import Subscription, SubscriptionItem

__all__ = [
    "ERROR_ANSWERS",
    "Applied",
    "change_applied",
    "charged_after_error_flag",
    "commit_error",
    "subscription_facts",
]

ERROR_ANSWERS = ("change.rejected", "change.not_sent", "change.outcome_unknown")
"""The ledger entries that may carry the vendor's error answer to a sent commit."""


class Applied(enum.Enum):
    YES = "applied"
    NO = "not_applied"
    UNCLEAR = "unclear"


def change_applied(quote: Quote, subscription: Subscription) -> tuple[Applied, int | None]:
    """Whether the subscription shows the quote's change, and on which running number.

    Seats: the item holds the agreed total (and product) → yes; it still holds the quantity before → no;
    anything else (someone changed it meanwhile) → unclear. Add-on: an active item of the product → yes.
    """
    if quote.kind == ChangeKind.ADDON:
        items = [
            item for item in subscription.current_items if item.product_id == quote.new_product_id and item.is_active
        ]
        if not items:
            return Applied.NO, None
        if quote.result_running_no is not None:
            item = next((item for item in items if item.running_no == quote.result_running_no), None)
            return (Applied.YES, item.running_no) if item else (Applied.UNCLEAR, None)
        return Applied.YES, max(item.running_no for item in items)
    if quote.kind in RENEWAL_KINDS:
        return _renewal_applied(quote, subscription), None
    item = subscription.item(quote.running_no)
    if item is None:
        return Applied.UNCLEAR, None
    if quote.kind in (ChangeKind.REDUCE, ChangeKind.SWITCH_LATER):
        return _scheduled_applied(quote, subscription, item), item.running_no
    if quote.kind == ChangeKind.UNDO:
        return _undo_applied(quote, subscription, item), item.running_no
    if quote.kind == ChangeKind.REMOVE_ADDON:
        if item.removal_scheduled or item.is_deactivated:
            return Applied.YES, item.running_no
        return (Applied.NO if item.is_active else Applied.UNCLEAR), item.running_no
    if quote.kind == ChangeKind.REACTIVATE:
        if item.is_active and item.deactivation_date is None:
            return Applied.YES, item.running_no
        return (Applied.NO if item.removal_scheduled or item.is_deactivated else Applied.UNCLEAR), item.running_no
    if item.product_id == quote.new_product_id and item.quantity == quote.quantity_after:
        return Applied.YES, item.running_no
    if item.product_id == quote.product_id and item.quantity == quote.quantity_before:
        return Applied.NO, item.running_no
    return Applied.UNCLEAR, item.running_no


def _renewal_applied(quote: Quote, subscription: Subscription) -> Applied:
    """Cancel: the renewal is Manual (or the subscription already finished); resume: Automatic and not finished."""
    renewal_type = subscription.renewal_type.lower()
    if quote.kind == ChangeKind.CANCEL:
        if renewal_type == "manual" or subscription.status == FINISHED:
            return Applied.YES
        return Applied.NO if renewal_type == "automatic" else Applied.UNCLEAR
    if renewal_type == "automatic" and subscription.status != FINISHED:
        return Applied.YES  # renewing again, even if a payment problem has since put it in grace or on hold
    return Applied.NO if renewal_type == "manual" else Applied.UNCLEAR


def _scheduled_applied(quote: Quote, subscription: Subscription, item: SubscriptionItem) -> Applied:
    """A change at the next billing date: the version as sent is scheduled (or, past the date, current) → yes;
    nothing scheduled and the item as before → no; anything else → unclear."""
    scheduled = subscription.scheduled_item(item.running_no)
    if scheduled is not None:
        if scheduled.product_id == quote.new_product_id and scheduled.quantity == quote.quantity_after:
            return Applied.YES
        return Applied.UNCLEAR
    if item.product_id == quote.new_product_id and item.quantity == quote.quantity_after:
        return Applied.YES
    if item.product_id == quote.product_id and item.quantity == quote.quantity_before:
        return Applied.NO
    return Applied.UNCLEAR


def _undo_applied(quote: Quote, subscription: Subscription, item: SubscriptionItem) -> Applied:
    """Undo: the scheduled version is gone and the item as it was → yes; the version still there → no."""
    scheduled = subscription.scheduled_item(item.running_no)
    if scheduled is None:
        if item.product_id == quote.new_product_id and item.quantity == quote.quantity_after:
            return Applied.YES
        if item.product_id == quote.product_id and item.quantity == quote.quantity_before:
            return Applied.NO  # past the date, the version the undo was to remove has become current
        return Applied.UNCLEAR
    if scheduled.product_id == quote.product_id and scheduled.quantity == quote.quantity_before:
        return Applied.NO
    return Applied.UNCLEAR


def subscription_facts(subscription: Subscription | None, applied: Applied, running_no: int | None) -> dict[str, Any]:
    """What a read showed, for the ledger: whether the change is there and every current item."""
    if subscription is None:
        return {"read": None, "applied": applied.value}
    return {
        "applied": applied.value,
        "running_no": running_no,
        "items": [
            {"running_no": i.running_no, "product_id": i.product_id, "quantity": i.quantity, "status": i.status}
            for i in subscription.current_items
        ],
        "next_billing_date": subscription.next_billing_date.isoformat() if subscription.next_billing_date else None,
        "status": subscription.status,
        "renewal_type": subscription.renewal_type,
        "scheduled": [
            {"running_no": i.running_no, "product_id": i.product_id, "quantity": i.quantity}
            for i in subscription.scheduled_items
        ],
        "removals": [i.running_no for i in subscription.current_items if i.removal_scheduled],
    }


def commit_error(quote: Quote) -> dict[str, Any] | None:
    """The vendor's error answer to this quote's commit, as the ledger recorded it; None when it answered none."""
    entries = quote.ledger_entries.filter(action__in=ERROR_ANSWERS).order_by("-created_at", "-id")
    for data in entries.values_list("data", flat=True):
        if data.get("error"):
            return {"error": data["error"], "vendor": data.get("vendor")}
    return None


def charged_after_error_flag(*, quote: Quote, error: dict[str, Any], facts: dict[str, Any]) -> Quote | None:
    """The change is there although the vendor answered with an error: it was charged; support checks it with
    the customer. Call inside the transaction that committed the quote.

    A change that charges nothing now (at the next billing date, a removal, a cancellation) was not charged: the
    ledger's `change.confirmed_applied` or `change.committed` already says it applied after the error, and nothing is
    flagged (None)."""
    if not _charged_now(quote):
        return None
    return states.quote_mark(
        quote=quote,
        expect=[quote.state],
        action="change.charged_after_error",
        fields=states.support_flag(quote),
        data={**facts, **error},
    )


def _charged_now(quote: Quote) -> bool:
    sent = quote.sent_charge_now_gross
    return quote.charge_now_gross > 0 or (sent is not None and sent > 0)
