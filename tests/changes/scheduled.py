"""Steps of the new change flows through the services, as the pages and the support console call them."""

from __future__ import annotations

from typing import Any

from subscriptions import reads, services
from subscriptions.models import Customer, Quote
from subscriptions.services import CommitOutcome


def quote(customer: Customer, subscription_id: int, kind: str, *, details: dict[str, str] | None = None, **fields):
    """Build, check and price one change for `customer` (the vendor's preview or its read); the stored quote."""
    subscription = reads.subscription_fresh(subscription_id=subscription_id)
    change = services.change_build(subscription=subscription, kind=kind, **fields)
    return services.quote_create(
        customer=customer,
        subscription=subscription,
        change=change,
        ip="203.0.113.7",
        user_agent="pytest",
        details=details,
    )


def commit(customer: Customer, quote: Quote, *, consent: bool = True) -> CommitOutcome:
    return services.quote_commit(
        customer=customer, quote_id=quote.public_id, consent_given=consent, ip="203.0.113.7", user_agent="pytest"
    )


def actions(quote: Quote) -> list[str]:
    return list(quote.ledger_entries.order_by("sequence").values_list("action", flat=True))


def entry(quote: Quote, action: str) -> dict[str, Any]:
    return quote.ledger_entries.filter(action=action).order_by("-sequence").first().data


def posts(vendor_calls, method: str) -> int:
    """How many times the product sent `method` (a commit or apply; previews are counted too for priced kinds)."""
    return vendor_calls.methods().count(method)
