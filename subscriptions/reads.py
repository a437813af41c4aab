"""Every read of a subscription or a customer's list at the vendor, through the shared cache.

Pages, planning a change, the commit's fresh check, sign-in look-ups, assisted changes, a payment's confirmation and
reconciliation all read here, so that how far each may trust the cache (docs/vendor-cache.md) is decided in one place:

- a page shows a read at most VENDOR_CACHE_FRESH_SECONDS old, or the **last known** state, marked stale, when the
  vendor may not be called (down, blocking us, or our budget used up);
- planning a change uses a read within that bound, never the last known state;
- the commit's price check, a payment's confirmation and reconciliation always ask the vendor, and store the answer.

A customer's subscription is read only when it is on that customer's list, so an id that is not theirs costs no call
of its own, and an id the vendor cannot have (not 1 … 2^63 - 1) costs no call at all. The budget's refusals reach the
callers as `Unavailable`, which every one of them already handles as "the vendor cannot be asked now".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from subscriptions import vendor_cache
from subscriptions.cleverbridge import Rejected, Subscription, Unavailable, get_client
from subscriptions.errors import NotFound, NotYours
from subscriptions.models import Customer
from subscriptions.vendor_cache import Cached

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_SUBSCRIPTION_ID",
    "UNREACHABLE",
    "Cached",
    "customer_known",
    "customer_subscriptions",
    "customer_subscriptions_fresh",
    "invalidate",
    "subscription_for_page",
    "subscription_for_plan",
    "subscription_fresh",
    "subscription_id_possible",
    "subscriptions_by_email",
]

MAX_SUBSCRIPTION_ID = 2**63 - 1
"""The vendor's ids are signed 64-bit numbers; a larger one cannot exist there."""

UNREACHABLE = (Unavailable,)
"""When a page may show the last known state instead: the vendor down, blocking us, or our budget used up (the
client says all three as `Unavailable`, having sent nothing in the last two)."""


def _now() -> datetime:
    return timezone.now()


def subscription_id_possible(subscription_id: int) -> bool:
    return 0 < subscription_id <= MAX_SUBSCRIPTION_ID


# --- Asking the vendor (the process's one client, which draws on the shared budget: a refusal is `Unavailable`) ---


def _subscription_fetch(subscription_id: int) -> Callable[[], Subscription]:
    return lambda: get_client().get_subscription(subscription_id)


def _list_fetch(vendor_customer_id: int, kind: str = "read") -> Callable[[], Sequence[Subscription]]:
    """The customer's own subscriptions (none when the vendor does not know them: a 404)."""

    def fetch() -> list[Subscription]:
        try:
            found = get_client().get_subscriptions_for_customer(customer_id=vendor_customer_id, kind=kind)
        except Rejected as exc:
            if exc.status == 404:
                return []
            raise
        return [subscription for subscription in found if subscription.customer_id == vendor_customer_id]

    return fetch


def _read_list(
    vendor_customer_id: int, *, max_age: int | None, fallback: bool, kind: str = "read"
) -> Cached[tuple[Subscription, ...]]:
    return vendor_cache.customer_subscriptions(
        vendor_customer_id,
        fetch=_list_fetch(vendor_customer_id, kind),
        max_age=max_age,
        now=_now(),
        fallback_on=UNREACHABLE if fallback else (),
    )


def _read_subscription(subscription_id: int, *, max_age: int | None, fallback: bool) -> Cached[Subscription]:
    return vendor_cache.subscription(
        subscription_id,
        fetch=_subscription_fetch(subscription_id),
        max_age=max_age,
        now=_now(),
        fallback_on=UNREACHABLE if fallback else (),
    )


def _within_bound(read: Cached) -> bool:
    return read.fresh and (_now() - read.fetched_at).total_seconds() <= settings.VENDOR_CACHE_FRESH_SECONDS


# --- A customer's list ------------------------------------------------------------


def customer_subscriptions(*, customer: Customer) -> Cached[tuple[Subscription, ...]]:
    """The customer's subscriptions for a page: within the bound, else read; the last known state (`fresh=False`)
    when the vendor may not be called. Reading the list also keeps each subscription on it."""
    return _read_list(customer.vendor_id, max_age=None, fallback=True)


def customer_subscriptions_fresh(*, vendor_customer_id: int) -> list[Subscription]:
    """The customer's subscriptions as the vendor has them now (the support console); kept for the pages too.
    Empty when the vendor does not know the customer; other errors reach the caller."""
    return list(_read_list(vendor_customer_id, max_age=0, fallback=False).value)


def _listed(*, customer: Customer, subscription_id: int) -> bool:
    """Is the id on the customer's list? From the cache whatever its age; the list is read again only when none is
    known, or when the id is missing from one older than the bound (a subscription bought since)."""
    known = _read_list(customer.vendor_id, max_age=settings.VENDOR_CACHE_KEEP_SECONDS, fallback=True)
    if any(subscription.id == subscription_id for subscription in known.value):
        return True
    if _within_bound(known):
        return False
    again = _read_list(customer.vendor_id, max_age=None, fallback=True)
    return any(subscription.id == subscription_id for subscription in again.value)


def _customers_subscription(*, customer: Customer, subscription_id: int, fallback: bool) -> Cached[Subscription]:
    """Subscription `subscription_id` if it is the customer's; NotFound (no call for it) if it is not."""
    if not subscription_id_possible(subscription_id):
        raise NotFound
    if not _listed(customer=customer, subscription_id=subscription_id):
        raise NotFound
    try:
        read = _read_subscription(subscription_id, max_age=None, fallback=fallback)
    except Rejected as exc:
        if exc.status == 404:
            raise NotFound from None
        raise
    if read.value.customer_id != customer.vendor_id:
        raise NotYours
    return read


# --- One subscription ---------------------------------------------------------------


def subscription_for_page(*, customer: Customer, subscription_id: int) -> Cached[Subscription]:
    """The customer's subscription to show: within the bound, else read; the last known state (`fresh=False`)
    when the vendor may not be called. NotFound for ids that are not the customer's."""
    return _customers_subscription(customer=customer, subscription_id=subscription_id, fallback=True)


def subscription_for_plan(*, customer: Customer, subscription_id: int) -> Subscription:
    """The customer's subscription to plan a change on: within the bound, else read; never the last known state.

    The commit reads it again (`subscription_fresh`), so a change the bound hides is caught before anything is sent.
    """
    read = _customers_subscription(customer=customer, subscription_id=subscription_id, fallback=False)
    if _within_bound(read):
        return read.value
    return subscription_fresh(subscription_id=subscription_id)


def subscription_fresh(*, subscription_id: int) -> Subscription:
    """Always asks the vendor (the commit's price check, a payment's confirmation, reconciliation); the answer is
    stored for the pages. Errors reach the caller, `Rejected` for an unknown id."""
    return _read_subscription(subscription_id, max_age=0, fallback=False).value


# --- Sign-in and support look-ups -------------------------------------------------------


def subscriptions_by_email(*, email: str) -> list[Subscription]:
    """Every subscription the vendor lists for an e-mail address (of one or more vendor customers); always asked.

    Errors reach the caller, `Rejected` (400/402/404) for an address the vendor does not know.
    """
    return get_client().get_subscriptions_for_customer(email=email, kind="anonymous")


def customer_known(*, vendor_customer_id: int) -> bool:
    """Whether the vendor lists subscriptions for this customer id; a list within the bound answers without a call,
    and a read is kept for the pages the customer opens next. Never the last known state."""
    read = _read_list(vendor_customer_id, max_age=None, fallback=False)
    if not _within_bound(read):
        read = _read_list(vendor_customer_id, max_age=0, fallback=False)
    return bool(read.value)


# --- Invalidation ---------------------------------------------------------------------


def invalidate(subscription_id: int, customer_vendor_id: int | None = None) -> None:
    """The next read of this subscription (and of every list holding it, and of this customer's list) asks the vendor.

    Called after our own commits and for every notification about the subscription. A cache that cannot be reached
    is logged, never raised: the change it follows is already recorded, and the entry ages out within the bound.
    """
    try:
        vendor_cache.invalidate(subscription_id)
        if customer_vendor_id is not None:
            vendor_cache.invalidate_customer(customer_vendor_id)
    except Exception:
        logger.exception("vendor cache: S%s could not be invalidated", subscription_id)
