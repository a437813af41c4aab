"""The changes the client can preview and commit, each building its own request body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from subscriptions.cleverbridge.parsing import ascii_digits

__all__ = ["UPDATE_ACTIONS", "AddItem", "Change", "IncreaseQuantity", "UpdateItem", "subscription_ref"]


def subscription_ref(subscription_id: int | str) -> str:
    """The vendor accepts "S68574751" or "68574751"; we always send the S form."""
    text = str(subscription_id).strip()
    if text[:1] in ("S", "s"):
        text = text[1:]
    if not ascii_digits(text):
        raise ValueError(f"not a subscription id: {subscription_id!r}")
    return f"S{int(text)}"


def _alignment(*, preview: bool, align: bool = True) -> dict[str, bool]:
    return {"AlignToCurrentInterval": align, "ExtendInterval": False, "GetCustomerPricePreviewOnly": preview}


def _require_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")


@dataclass(frozen=True)
class IncreaseQuantity:
    """Add seats to an item now, co-termed. `add_quantity` is the number of seats to ADD (the vendor's delta)."""

    method: ClassVar[str] = "increasesubscriptionitemquantity"
    subscription_id: int
    running_no: int
    add_quantity: int

    def __post_init__(self) -> None:
        _require_positive("add_quantity", self.add_quantity)

    def request_body(self, *, preview: bool) -> dict[str, Any]:
        return {
            "SubscriptionId": subscription_ref(self.subscription_id),
            "RunningNumber": self.running_no,
            "Quantity": self.add_quantity,
            "AlignmentSettings": _alignment(preview=preview),
            "GenerateMail": not preview,
        }


UPDATE_ACTIONS = ("Update", "Upgrade", "Downgrade")


@dataclass(frozen=True)
class UpdateItem:
    """Set an item's product and TOTAL quantity.

    A downgrade is sent without alignment: the vendor refuses a negative
    pro-rated amount, so a downgrade takes effect at the next billing date.
    """

    method: ClassVar[str] = "updatesubscriptionitem"
    subscription_id: int
    running_no: int
    product_id: int
    total_quantity: int
    update_action: str = "Upgrade"

    def __post_init__(self) -> None:
        _require_positive("total_quantity", self.total_quantity)
        if self.update_action not in UPDATE_ACTIONS:
            raise ValueError(f"update_action must be one of {UPDATE_ACTIONS}, not {self.update_action!r}")

    def request_body(self, *, preview: bool) -> dict[str, Any]:
        return {
            "SubscriptionId": subscription_ref(self.subscription_id),
            "RunningNumber": self.running_no,
            "ProductId": self.product_id,
            "Quantity": self.total_quantity,
            "UpdateAction": self.update_action,
            "TriggerImmediateRenewal": False,
            "AlignmentSettings": _alignment(preview=preview, align=self.update_action != "Downgrade"),
            "GenerateMail": not preview,
        }


@dataclass(frozen=True)
class AddItem:
    """Add a new item (a new RunningNo) to the subscription, co-termed with the existing ones."""

    method: ClassVar[str] = "addsubscriptionitem"
    subscription_id: int
    product_id: int
    quantity: int = 1

    def __post_init__(self) -> None:
        _require_positive("quantity", self.quantity)

    def request_body(self, *, preview: bool) -> dict[str, Any]:
        return {
            "SubscriptionId": subscription_ref(self.subscription_id),
            "ProductId": self.product_id,
            "Quantity": self.quantity,
            "AlignmentSettings": _alignment(preview=preview),
            "GenerateMail": not preview,
        }


Change = IncreaseQuantity | UpdateItem | AddItem
