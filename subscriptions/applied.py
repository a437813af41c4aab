"""Does the vendor's subscription show a change? Read by reconciliation and by payment matching alike."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from subscriptions.models import ChangeKind, Quote

if TYPE_CHECKING:
    from subscriptions.cleverbridge import Subscription

__all__ = ["Applied", "change_applied"]


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
    item = subscription.item(quote.running_no)
    if item is None:
        return Applied.UNCLEAR, None
    if item.product_id == quote.new_product_id and item.quantity == quote.quantity_after:
        return Applied.YES, item.running_no
    if item.product_id == quote.product_id and item.quantity == quote.quantity_before:
        return Applied.NO, item.running_no
    return Applied.UNCLEAR, item.running_no
