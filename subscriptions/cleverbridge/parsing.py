"""Reading the vendor's JSON: one set of coercion helpers for the API's answers and its notifications.

The vendor writes amounts as JSON numbers (read as Decimal, never through float), ids as numbers or
"S"-prefixed strings, and timestamps without an offset that mean UTC. Every helper raises
`Unreadable` with the field's name; the callers decide what that means (the client: the vendor is
unavailable; a notification: it is malformed). Where the callers differ (a missing value's default,
the bounds of a stored number) they say so through parameters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from subscriptions.cleverbridge.values import (
    ACTIVE,
    Exchange,
    PaymentInfo,
    Prices,
    Subscription,
    SubscriptionItem,
    VendorQuote,
)

__all__ = [
    "REQUIRED",
    "Unreadable",
    "amount",
    "ascii_digits",
    "json_object",
    "moment",
    "parse_quote",
    "parse_subscription",
    "text",
    "whole_number",
]


class Unreadable(ValueError):
    """The vendor's data is not what we expect; `str(exc)` says which field and why."""


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Final = _Required()
"""`missing=REQUIRED`: a missing value is unreadable (the default); any other `missing` is returned instead."""


def _missing(name: str, missing: Any) -> Any:
    if missing is REQUIRED:
        raise Unreadable(f"{name} is missing")
    return missing


def ascii_digits(text: str) -> bool:
    """ASCII digits only: "²" passes str.isdigit() but int() refuses it."""
    return text.isascii() and text.isdigit()


def json_object(body: str | bytes) -> dict[str, Any]:
    """A JSON object with every number that has a fraction read as Decimal."""
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        raise Unreadable(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Unreadable("not a JSON object")
    return data


def whole_number(value: Any, name: str, *, missing: Any = REQUIRED, most: int | None = None) -> Any:
    """A whole number from a JSON number or a string of digits ("S68574751" reads as 68574751).

    With `most`, a number outside 0..`most` is unreadable: the column it is stored in could not hold it.
    """
    if value is None or value == "":
        return _missing(name, missing)
    if isinstance(value, bool):
        raise Unreadable(f"{name} is not a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        number = int(value)
    elif isinstance(value, str) and ascii_digits(digits := value.strip().lstrip("Ss")):
        number = int(digits)
    else:
        raise Unreadable(f"{name} is not a whole number")
    if most is not None and not 0 <= number <= most:
        raise Unreadable(f"{name} is out of range")
    return number


def amount(value: Any, name: str, *, missing: Any = REQUIRED) -> Any:
    """An amount exactly as the vendor wrote it, as a finite Decimal."""
    if value is None or value == "":
        return _missing(name, missing)
    if isinstance(value, bool):
        raise Unreadable(f"{name} is not an amount")
    try:
        number = Decimal(value) if isinstance(value, int | str) else value
    except InvalidOperation:
        raise Unreadable(f"{name} is not an amount") from None
    if not isinstance(number, Decimal) or not number.is_finite():
        raise Unreadable(f"{name} is not an amount")
    return number


def moment(value: Any, name: str, *, missing: Any = None) -> Any:
    """A timezone-aware UTC datetime: the vendor's timestamps have no offset and mean UTC (a few end in Z)."""
    if value is None or value == "":
        return _missing(name, missing)
    if not isinstance(value, str):
        raise Unreadable(f"{name} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Unreadable(f"{name} is not a timestamp") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def text(value: Any) -> str:
    """Text as given ("" for none), with NUL as U+FFFD: PostgreSQL text cannot hold NUL."""
    return "" if value is None else str(value).replace("\x00", "\ufffd")


# --- The subscription API's answers -------------------------------------------------------------


def _prices(data: Mapping[str, Any], prefix: str, currency: str, *, missing: Any) -> Prices:
    return Prices(
        gross=amount(data.get(f"{prefix}GrossPrice"), f"{prefix}GrossPrice", missing=missing),
        net=amount(data.get(f"{prefix}NetPrice"), f"{prefix}NetPrice", missing=missing),
        vat=amount(data.get(f"{prefix}VatPrice"), f"{prefix}VatPrice", missing=missing),
        currency=currency,
    )


def _payment(data: Any) -> PaymentInfo | None:
    if not isinstance(data, Mapping) or not (data.get("PaymentType") or data.get("PaymentTypeId")):
        return None
    expiry = data.get("CardExpirationDate")
    expiry = expiry if isinstance(expiry, Mapping) else {}
    return PaymentInfo(
        type=text(data.get("PaymentType")),
        type_id=text(data.get("PaymentTypeId")),
        last_four=text(data.get("CardLastFourDigits")),
        expires_month=whole_number(expiry.get("Month"), "CardExpirationDate.Month", missing=None) or None,
        expires_year=whole_number(expiry.get("Year"), "CardExpirationDate.Year", missing=None) or None,
    )


def _item(data: Any, *, subscription_start: datetime, currency: str) -> SubscriptionItem:
    if not isinstance(data, Mapping):
        raise Unreadable("an item is not a JSON object")
    item_currency = text(data.get("NextBillingCurrencyId")) or currency
    return SubscriptionItem(
        running_no=whole_number(data.get("RunningNo"), "RunningNo"),
        product_id=whole_number(data.get("ProductId"), "ProductId"),
        product_name=text(data.get("ProductName")),
        quantity=whole_number(data.get("Quantity"), "Quantity"),
        status=whole_number(data.get("Status"), "Status", missing=ACTIVE),
        start=moment(data.get("StartDate"), "StartDate") or subscription_start,
        version=whole_number(data.get("Version"), "Version", missing=1),
        is_current=bool(data.get("IsCurrent", True)),
        version_active=moment(data.get("VersionActiveDate"), "VersionActiveDate"),
        next_billing=_prices(data, "NextBillingCustomer", item_currency, missing=Decimal(0)),
        next_renewal=_prices(data, "NextRenewalCustomer", item_currency, missing=Decimal(0)),
        deactivation_date=moment(data.get("DeactivationDate"), "DeactivationDate"),
    )


def parse_subscription(data: Any) -> Subscription:
    """One vendor subscription object as a Subscription; a missing amount reads as 0, since it is only shown."""
    if not isinstance(data, Mapping):
        raise Unreadable("subscription is not a JSON object")
    currency = text(data.get("CustomerCurrencyId") or data.get("NextBillingCurrencyId"))
    start = moment(data.get("StartDate"), "StartDate", missing=REQUIRED)
    items = data.get("Items") or []
    if not isinstance(items, list):
        raise Unreadable("Items is not a list")
    status = data.get("Subscriptionstatus", data.get("SubscriptionStatus", data.get("Status")))
    billing_currency = text(data.get("NextBillingCurrencyId")) or currency
    return Subscription(
        id=whole_number(data.get("Id"), "Id"),
        customer_id=whole_number(data.get("CustomerId"), "CustomerId", missing=0),
        customer_reference_id=text(data.get("CustomerReferenceId")),
        currency=currency,
        status=whole_number(status, "Subscriptionstatus", missing=0),
        renewal_type=text(data.get("RenewalType")),
        start=start,
        next_billing_date=moment(data.get("NextBillingDate"), "NextBillingDate"),
        next_renewal_date=moment(data.get("NextRenewalDate"), "NextRenewalDate"),
        interval_months=whole_number(data.get("IntervalMonthCount"), "IntervalMonthCount", missing=0),
        interval_days=whole_number(data.get("IntervalDayCount"), "IntervalDayCount", missing=0),
        items=tuple(_item(item, subscription_start=start, currency=currency) for item in items),
        next_billing=_prices(data, "NextBillingCustomer", billing_currency, missing=Decimal(0)),
        next_renewal=_prices(data, "NextRenewalCustomer", billing_currency, missing=Decimal(0)),
        payment=_payment(data.get("PaymentInfo")),
        self_service_url=text(data.get("SelfServiceUrl")),
        end_date=moment(data.get("EndDate"), "EndDate"),
    )


def parse_quote(data: Mapping[str, Any], exchange: Exchange) -> VendorQuote:
    """A preview's or commit's prices: every one must be there, since they are shown for consent and charged.

    A missing amount is unreadable, never 0 (a subscription read, which only displays, still tolerates one).
    """
    currency = data.get("PriceCurrencyId")
    if not isinstance(currency, str) or not currency.strip():
        raise Unreadable(f"PriceCurrencyId is missing or not a currency code: {currency!r}")
    currency = currency.strip()
    return VendorQuote(
        charge_now=_prices(data, "AlignmentCustomer", currency, missing=REQUIRED),
        next_billing=_prices(data, "NextBillingCustomer", currency, missing=REQUIRED),
        next_renewal=_prices(data, "NextRenewalCustomer", currency, missing=REQUIRED),
        currency=currency,
        exchange=exchange,
    )
