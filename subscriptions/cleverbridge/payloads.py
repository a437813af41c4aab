"""The vendor's notifications (PaidOrderNotification and the subscription events), read with the API's helpers.

Every number is bounded by the model field it is stored in, so a value PostgreSQL could not hold
is malformed here instead of failing later as a database error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from subscriptions.cleverbridge.parsing import REQUIRED, Unreadable, amount, json_object, moment, text, whole_number

__all__ = [
    "BIG_MAX",
    "CHARGEBACK",
    "EVENT_TYPES",
    "RECURRING_BILLING_CANCELED",
    "RECURRING_BILLING_REINSTATED",
    "REFUND",
    "RENEWAL_TYPE_CHANGED",
    "SMALL_MAX",
    "Malformed",
    "PaidItem",
    "PaidOrder",
    "SubscriptionEvent",
    "load",
    "parse_paid_order",
    "parse_subscription_event",
    "type_of",
]

TEST_STATUS = "TST"
BIG_MAX = 2**63 - 1
"""The largest BigIntegerField value (purchase, subscription and product ids)."""
SMALL_MAX = 2**31 - 1
"""The largest PositiveIntegerField value on PostgreSQL (running and interval numbers, quantities)."""


class Malformed(Unreadable):
    """The body is not a notification we can read; `str(exc)` says why."""


@dataclass(frozen=True)
class PaidItem:
    """One subscription item of a paid purchase (`items[].recurringBilling`)."""

    subscription_id: int
    running_no: int
    interval_number: int | None
    next_billing_date: datetime | None
    gross: Decimal | None
    product_id: int | None
    quantity: int | None


@dataclass(frozen=True)
class PaidOrder:
    purchase_id: int
    status_id: str
    date: datetime | None
    currency: str
    revenue_category: str
    gross: Decimal | None
    net: Decimal | None
    vat: Decimal | None
    items: tuple[PaidItem, ...]

    @property
    def is_test(self) -> bool:
        return self.status_id.upper() == TEST_STATUS

    def amount_for(self, item: PaidItem) -> Decimal | None:
        """What the purchase charged for this item: the item's own gross, else the purchase's total."""
        return item.gross if item.gross is not None else self.gross


def load(body: str) -> dict[str, Any]:
    """The body as a JSON object (raises Malformed)."""
    try:
        return json_object(body)
    except Unreadable as exc:
        raise Malformed(str(exc)) from None


def type_of(data: dict[str, Any]) -> str:
    """`meta.type`, e.g. "PaidOrderNotification" (raises Malformed)."""
    meta = data.get("meta")
    if not isinstance(meta, dict):
        raise Malformed("meta is missing or not an object")
    kind = meta.get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise Malformed("meta.type is missing")
    return text(kind.strip()[:100])


def _first(data: dict[str, Any], *names: str) -> Any:
    return next((data[name] for name in names if data.get(name) is not None), None)


def _label(value: Any, limit: int) -> str:
    return text(value.strip()[:limit]) if isinstance(value, str) else ""


def parse_paid_order(data: dict[str, Any]) -> PaidOrder:
    """Read a PaidOrderNotification (raises Malformed). Only subscription items are kept."""
    try:
        return _paid_order(data)
    except Malformed:
        raise
    except Unreadable as exc:
        raise Malformed(str(exc)) from None


def _paid_order(data: dict[str, Any]) -> PaidOrder:
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    items_data = data.get("items")
    if not isinstance(items_data, list):
        raise Malformed("items is missing or not a list")
    items = []
    for index, item in enumerate(items_data):
        if not isinstance(item, dict):
            raise Malformed(f"items[{index}] is not an object")
        billing = item.get("recurringBilling")
        if billing is None:
            continue
        if not isinstance(billing, dict):
            raise Malformed(f"items[{index}].recurringBilling is not an object")
        where = f"items[{index}].recurringBilling"
        items.append(
            PaidItem(
                subscription_id=whole_number(billing.get("subscriptionId"), f"{where}.subscriptionId", most=BIG_MAX),
                running_no=whole_number(
                    billing.get("subscriptionItemRunningNo"), f"{where}.subscriptionItemRunningNo", most=SMALL_MAX
                ),
                interval_number=whole_number(
                    billing.get("intervalNumber"), f"{where}.intervalNumber", missing=None, most=SMALL_MAX
                ),
                next_billing_date=moment(billing.get("nextBillingDate"), f"{where}.nextBillingDate"),
                gross=amount(
                    _first(item, "totalGrossPrice", "grossPrice"), f"items[{index}].totalGrossPrice", missing=None
                ),
                product_id=whole_number(item.get("productId"), f"items[{index}].productId", missing=None, most=BIG_MAX),
                quantity=whole_number(item.get("quantity"), f"items[{index}].quantity", missing=None, most=SMALL_MAX),
            )
        )
    return PaidOrder(
        purchase_id=whole_number(data.get("purchaseId"), "purchaseId", most=BIG_MAX),
        status_id=_label(data.get("statusId"), 20),
        date=moment(meta.get("date"), "meta.date"),
        currency=_label(_first(data, "currencyId", "currency"), 3).upper(),
        revenue_category=_label(_first(data, "subscriptionRevenueCategoryId", "revenueCategoryId"), 40),
        gross=amount(_first(data, "totalGrossPrice", "grossPrice"), "totalGrossPrice", missing=None),
        net=amount(_first(data, "totalNetPrice", "netPrice"), "totalNetPrice", missing=None),
        vat=amount(_first(data, "totalVatPrice", "vatPrice"), "totalVatPrice", missing=None),
        items=tuple(items),
    )


# --- Subscription events ------------------------------------------------------------------------

RENEWAL_TYPE_CHANGED = "SubscriptionRenewalTypeChangedNotification"
RECURRING_BILLING_CANCELED = "RecurringBillingCanceledNotification"
RECURRING_BILLING_REINSTATED = "RecurringBillingReinstatedNotification"
REFUND = "RefundNotification"
CHARGEBACK = "ChargebackNotification"
EVENT_TYPES = (RENEWAL_TYPE_CHANGED, RECURRING_BILLING_CANCELED, RECURRING_BILLING_REINSTATED, REFUND, CHARGEBACK)
"""The notification types besides PaidOrderNotification that `parse_subscription_event` reads."""

_MONEY_TYPES = (REFUND, CHARGEBACK)


@dataclass(frozen=True)
class SubscriptionEvent:
    """A subscription notification other than a paid order: a hint to read the subscription again.

    `purchase_id`, `running_no`, `amount` and `currency` are for refunds and chargebacks (the purchase
    whose money went back); `renewal_type` for a renewal-type change; `running_nos` the items a
    reinstatement names (`running_no` is the first of them).
    """

    type: str
    subscription_id: int
    purchase_id: int | None
    running_no: int | None
    renewal_type: str
    amount: Decimal | None
    currency: str
    date: datetime | None
    running_nos: tuple[int, ...] = ()


def parse_subscription_event(data: dict[str, Any]) -> SubscriptionEvent:
    """Read one of EVENT_TYPES (raises Malformed, also for a type that is not one of them)."""
    try:
        return _subscription_event(data)
    except Malformed:
        raise
    except Unreadable as exc:
        raise Malformed(str(exc)) from None


def _billings(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every `items[].recurringBilling` of a purchase-shaped body, where the vendor names subscriptions and items."""
    items = body.get("items")
    if not isinstance(items, list):
        return []
    found = []
    for index, item in enumerate(items):
        billing = item.get("recurringBilling") if isinstance(item, dict) else None
        if billing is None:
            continue
        if not isinstance(billing, dict):
            raise Malformed(f"items[{index}].recurringBilling is not an object")
        found.append(billing)
    return found


def _listed_running_nos(body: dict[str, Any], billings: list[dict[str, Any]]) -> tuple[int, ...]:
    """The items an event names: `items` as a list of running numbers, or each recurringBilling's running number."""
    listed = body.get("items")
    if isinstance(listed, list) and listed and not any(isinstance(entry, dict) for entry in listed):
        return tuple(whole_number(value, f"items[{index}]", most=SMALL_MAX) for index, value in enumerate(listed))
    numbers = (
        whole_number(
            billing.get("subscriptionItemRunningNo"),
            f"items[{index}].recurringBilling.subscriptionItemRunningNo",
            missing=None,
            most=SMALL_MAX,
        )
        for index, billing in enumerate(billings)
    )
    return tuple(number for number in numbers if number is not None)


def _subscription_event(data: dict[str, Any]) -> SubscriptionEvent:
    """Both shapes are read: the vendor's Purchase Model (refunds: its Reimbursement Model, the purchase under
    `purchase`) with the subscription in `items[].recurringBilling`, and a flat one with the same names at the top."""
    kind = type_of(data)
    if kind not in EVENT_TYPES:
        raise Malformed(f"not a subscription event: {kind}")
    meta = data["meta"]
    body = data.get("purchase") if isinstance(data.get("purchase"), dict) else data
    billings = _billings(body)
    first = billings[0] if billings else {}
    subscription_id = whole_number(
        _first(body, "subscriptionId") or first.get("subscriptionId"), "subscriptionId", most=BIG_MAX
    )
    running_nos = _listed_running_nos(body, billings)
    running_no = whole_number(
        body.get("subscriptionItemRunningNo"), "subscriptionItemRunningNo", missing=None, most=SMALL_MAX
    )
    if running_no is None and running_nos:
        running_no = running_nos[0]
    renewal_type = _label(_first(body, "renewalType") or first.get("renewalType"), 20)
    if kind == RENEWAL_TYPE_CHANGED and renewal_type.lower() not in ("automatic", "manual"):
        raise Malformed(f"renewalType is missing or unknown: {renewal_type!r}")
    money = kind in _MONEY_TYPES
    return SubscriptionEvent(
        type=kind,
        subscription_id=subscription_id,
        purchase_id=whole_number(
            body.get("purchaseId"), "purchaseId", missing=REQUIRED if money else None, most=BIG_MAX
        ),
        running_no=running_no,
        renewal_type=renewal_type.capitalize(),
        amount=amount(_first(body, "grossAmount", "totalGrossPrice", "grossPrice"), "grossAmount", missing=None),
        currency=_label(_first(body, "currencyId", "currency"), 3).upper(),
        date=moment(meta.get("date"), "meta.date"),
        running_nos=running_nos,
    )
