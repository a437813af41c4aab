"""The changes the client can preview and commit, each building its own request body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from subscriptions.cleverbridge.parsing import ascii_digits

__all__ = [
    "RENEWAL_TYPES",
    "UPDATE_ACTIONS",
    "AddItem",
    "Change",
    "DeactivateItems",
    "IncreaseQuantity",
    "PricedChange",
    "ReinstateItems",
    "SetRenewalType",
    "UnpricedChange",
    "UpdateItem",
    "subscription_ref",
]


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
    priced: ClassVar[bool] = True
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
    """Set an item's product and TOTAL quantity, now (aligned, charged pro rata) or at the next billing date.

    `at_next_billing` sends no alignment: the vendor schedules a new item version for the next billing
    date and charges nothing now. A downgrade must be sent that way, since the vendor refuses a
    negative pro-rated amount. Sending the current product and quantity at the next billing date
    removes a scheduled version (our "undo").
    """

    method: ClassVar[str] = "updatesubscriptionitem"
    priced: ClassVar[bool] = True
    subscription_id: int
    running_no: int
    product_id: int
    total_quantity: int
    update_action: str = "Upgrade"
    at_next_billing: bool = False

    def __post_init__(self) -> None:
        _require_positive("total_quantity", self.total_quantity)
        if self.update_action not in UPDATE_ACTIONS:
            raise ValueError(f"update_action must be one of {UPDATE_ACTIONS}, not {self.update_action!r}")
        if self.update_action == "Downgrade" and not self.at_next_billing:
            raise ValueError("a downgrade takes effect at the next billing date: pass at_next_billing=True")

    def request_body(self, *, preview: bool) -> dict[str, Any]:
        return {
            "SubscriptionId": subscription_ref(self.subscription_id),
            "RunningNumber": self.running_no,
            "ProductId": self.product_id,
            "Quantity": self.total_quantity,
            "UpdateAction": self.update_action,
            "TriggerImmediateRenewal": False,
            "AlignmentSettings": _alignment(preview=preview, align=not self.at_next_billing),
            "GenerateMail": not preview,
        }


@dataclass(frozen=True)
class AddItem:
    """Add a new item (a new RunningNo) to the subscription, co-termed with the existing ones."""

    method: ClassVar[str] = "addsubscriptionitem"
    priced: ClassVar[bool] = True
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


def _running_nos(value: tuple[int, ...]) -> None:
    if not isinstance(value, tuple) or not value:
        raise ValueError(f"running_nos must be a non-empty tuple of running numbers, not {value!r}")
    for running_no in value:
        _require_positive("a running number", running_no)
    if len(set(value)) != len(value):
        raise ValueError(f"running_nos repeats a running number: {value!r}")


@dataclass(frozen=True)
class _ItemsChange:
    """A method on a list of items by running number, which the vendor answers only with "OK".

    Not priced: there is no preview (nothing is charged now); what the next billing will be is read from
    getsubscription.
    """

    method: ClassVar[str]
    priced: ClassVar[bool] = False
    subscription_id: int
    running_nos: tuple[int, ...]

    def __post_init__(self) -> None:
        _running_nos(self.running_nos)

    def request_body(self, *, preview: bool = False) -> dict[str, Any]:
        """The vendor has no preview of this method: `preview` is accepted for a uniform signature and ignored."""
        return {
            "SubscriptionId": subscription_ref(self.subscription_id),
            "Items": list(self.running_nos),
            "GenerateMail": True,
        }


@dataclass(frozen=True)
class DeactivateItems(_ItemsChange):
    """End items at the next billing date: they stay active and billed until then, and are not renewed."""

    method: ClassVar[str] = "deactivatesubscriptionitems"


@dataclass(frozen=True)
class ReinstateItems(_ItemsChange):
    """Make deactivated items active again (billed from the next billing date), or undo a scheduled deactivation."""

    method: ClassVar[str] = "reinstatesubscriptionitems"


RENEWAL_TYPES = ("Automatic", "Manual")


@dataclass(frozen=True)
class SetRenewalType:
    """Turn automatic renewal off ("Manual": the subscription ends at its billing date) or on again ("Automatic")."""

    method: ClassVar[str] = "updatesubscriptionrenewaltype"
    priced: ClassVar[bool] = False
    subscription_id: int
    renewal_type: str

    def __post_init__(self) -> None:
        if self.renewal_type not in RENEWAL_TYPES:
            raise ValueError(f"renewal_type must be one of {RENEWAL_TYPES}, not {self.renewal_type!r}")

    def request_body(self, *, preview: bool = False) -> dict[str, Any]:
        """No preview exists for this method: `preview` is ignored."""
        return {"SubscriptionId": subscription_ref(self.subscription_id), "RenewalType": self.renewal_type}


Change = IncreaseQuantity | UpdateItem | AddItem | DeactivateItems | ReinstateItems | SetRenewalType
PricedChange = IncreaseQuantity | UpdateItem | AddItem
UnpricedChange = DeactivateItems | ReinstateItems | SetRenewalType
