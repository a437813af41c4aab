"""The one way to write the audit ledger.

`record` must run inside the `transaction.atomic()` block that makes the state change it
records, so the ledger and the state never disagree: both are written or neither is.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision
from django.db import transaction

from subscriptions.cleverbridge import Exchange
from subscriptions.models import AMOUNT_FIELDS, Customer, LedgerEntry, Quote

__all__ = ["amount_text", "exchange_data", "quote_data", "record"]

SECRET_KEYS = {"authorization", "password", "apipassword", "api_password", "secret", "token", "cardnumber", "cvv"}
MASK = "***"


def record(
    *,
    action: str,
    quote: Quote | None = None,
    customer: Customer | None = None,
    staff_user=None,
    ip: str | None = None,
    subscription_id: int | None = None,
    data: dict[str, Any],
) -> LedgerEntry:
    """Append one entry; refuses to run outside a transaction (see the module docstring).

    Most entries are about one quote. Staff actions about a customer rather than a change
    (`staff.viewed_subscription`, `staff.exported_ledger`) pass `customer` and no quote.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.record must be called inside the transaction that changes the state it records")
    if "." not in action:
        raise ValueError(f"ledger actions are dotted codes, not {action!r}")
    if quote is None and customer is None:
        raise ValueError("a ledger entry is about a quote or a customer")
    return LedgerEntry.objects.create(
        action=action,
        quote=quote,
        subscription_id=quote.subscription_id if quote is not None else subscription_id,
        customer=customer,
        staff_user=staff_user,
        ip=ip or None,
        data=_plain(_masked(data)),
    )


def quote_data(quote: Quote) -> dict[str, Any]:
    """What a quote is about: kind, subscription, item, products, quantities, every amount and the currency."""
    data: dict[str, Any] = {
        "quote": str(quote.public_id),
        "kind": quote.kind,
        "subscription_id": quote.subscription_id,
        "running_no": quote.running_no,
        "product_id": quote.product_id,
        "new_product_id": quote.new_product_id,
        "product_name": quote.product_name,
        "quantity_before": quote.quantity_before,
        "quantity_after": quote.quantity_after,
        "vendor_quantity": quote.vendor_quantity,
        "currency": quote.currency,
        "next_billing_date": quote.next_billing_date.isoformat() if quote.next_billing_date else None,
        "expires_at": quote.expires_at.isoformat(),
        "state": quote.state,
    }
    for name in AMOUNT_FIELDS:
        data[name] = amount_text(getattr(quote, name), quote.currency)
    return data


def exchange_data(exchange: Exchange | None) -> dict[str, Any]:
    """The vendor call as sent and answered (the client never puts credentials in an Exchange)."""
    if exchange is None:
        return {"method": None, "request": None, "status": None, "response": None}
    try:
        response: Any = json.loads(exchange.response_text, parse_float=Decimal) if exchange.response_text else None
    except ValueError:
        response = exchange.response_text
    return {
        "method": exchange.method,
        "request": exchange.request_body,
        "status": exchange.status,
        "response": response,
        "duration_ms": exchange.duration_ms,
    }


def amount_text(value: Decimal | None, currency: str) -> str | None:
    """An amount in the currency's minor units ("1159.89", not "1159.890"), never losing a digit."""
    if value is None:
        return None
    try:
        places = get_currency_precision(currency)
    except Exception:
        places = 2
    exponent = Decimal(1).scaleb(-places)
    quantized = value.quantize(exponent)
    return str(quantized if quantized == value else value)


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (MASK if str(key).lower().replace("-", "") in SECRET_KEYS else _masked(item))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    """Amounts become strings (never floats) so the JSON keeps every digit."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
