"""Which changes a subscription allows, from the catalog configured in the admin.

`offers_for` is what the subscription page shows, and the services check every requested
change against the same offers, so the page and the checks always agree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext

from subscriptions.cleverbridge import AddItem, CleverbridgeError, Rejected, Subscription, SubscriptionItem, get_client
from subscriptions.models import CatalogProduct, ChangeKind

__all__ = [
    "Offer",
    "addon_offer",
    "catalog_changed",
    "coterm_offer",
    "offers_for",
    "seat_limits",
    "vendor_product_problem",
]


@dataclass(frozen=True)
class Offer:
    """One change the customer may start: what it does, on which item, within which limits."""

    kind: str
    subscription_id: int
    label: str
    description: str = ""
    running_no: int | None = None
    product_id: int | None = None
    product_name: str = ""
    current_quantity: int = 0
    min_quantity: int = 1
    max_quantity: int = 1
    total_quantity: int | None = None
    new_product_id: int | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.running_no or 0}-{self.new_product_id or self.product_id}"


@dataclass(frozen=True)
class _Coterm:
    active: bool
    target_product_id: int
    add_seats: int
    max_total: int
    label: str
    description: str

    def total_for(self, current_quantity: int) -> int | None:
        total = current_quantity + self.add_seats
        return total if total <= self.max_total else None


@dataclass(frozen=True)
class _AddOn:
    active: bool
    vendor_product_id: int
    name: str
    description: str
    quantity: int


@dataclass(frozen=True)
class _Product:
    """One catalog product as the offers need it: plain values, so a snapshot can live in the shared cache."""

    vendor_product_id: int
    name: str
    seats_offered: bool
    min_seats_per_change: int
    max_seats_per_change: int
    max_total_seats: int
    coterm_offers: tuple[_Coterm, ...]
    addons: tuple[_AddOn, ...]


CATALOG_GENERATION_KEY = "catalog:generation"
CATALOG_SNAPSHOT_KEY = "catalog:snapshot:v1:{generation}"
CATALOG_SNAPSHOT_SECONDS = 24 * 60 * 60


def _snapshot_from_database() -> dict[int, _Product]:
    products = CatalogProduct.objects.prefetch_related("coterm_offers", "addons")
    return {
        product.vendor_product_id: _Product(
            vendor_product_id=product.vendor_product_id,
            name=product.name,
            seats_offered=product.seats_offered,
            min_seats_per_change=product.min_seats_per_change,
            max_seats_per_change=product.max_seats_per_change,
            max_total_seats=product.max_total_seats,
            coterm_offers=tuple(
                _Coterm(
                    active=offer.active,
                    target_product_id=offer.target_product_id,
                    add_seats=offer.add_seats,
                    max_total=offer.max_total,
                    label=offer.label,
                    description=offer.description,
                )
                for offer in product.coterm_offers.all()
            ),
            addons=tuple(
                _AddOn(
                    active=addon.active,
                    vendor_product_id=addon.vendor_product_id,
                    name=addon.name,
                    description=addon.description,
                    quantity=addon.quantity,
                )
                for addon in product.addons.all()
            ),
        )
        for product in products
    }


def _catalog(product_ids: set[int]) -> dict[int, _Product]:
    """The catalog entries for `product_ids`, from a snapshot in the shared cache (no query while it is warm).

    The snapshot is filed under a generation number that every catalog save moves on (`catalog_changed`), so a
    snapshot built from the database while an agent saved is filed under the old number, which nobody reads again.
    """
    generation = cache.get_or_set(CATALOG_GENERATION_KEY, 1, timeout=None)
    key = CATALOG_SNAPSHOT_KEY.format(generation=generation)
    snapshot = cache.get(key)
    if snapshot is None:
        snapshot = _snapshot_from_database()
        cache.set(key, snapshot, CATALOG_SNAPSHOT_SECONDS)
    return {product_id: snapshot[product_id] for product_id in product_ids if product_id in snapshot}


def catalog_changed(**_signal: object) -> None:
    """A catalog row was saved or deleted: every process builds a new snapshot on its next read."""
    try:
        cache.incr(CATALOG_GENERATION_KEY)
    except ValueError:  # no generation stored yet (or it was evicted): start one past any old snapshot
        cache.set(CATALOG_GENERATION_KEY, int(time.time() * 1000), timeout=None)


def _changeable_items(subscription: Subscription) -> list[SubscriptionItem]:
    return [item for item in subscription.current_items if item.is_active]


def offers_for(subscription: Subscription) -> list[Offer]:
    """Every change this subscription allows now; none when it is not active."""
    if not subscription.is_active:
        return []
    items = _changeable_items(subscription)
    catalog = _catalog({item.product_id for item in items})
    held = {item.product_id for item in subscription.current_items}
    offers: list[Offer] = []
    addon_seen: set[int] = set()
    for item in items:
        product = catalog.get(item.product_id)
        if product is None:
            continue
        name = item.product_name or product.name
        if product.seats_offered:
            room = product.max_total_seats - item.quantity
            most = min(product.max_seats_per_change, room)
            if most >= product.min_seats_per_change:
                offers.append(
                    Offer(
                        kind=ChangeKind.INCREASE,
                        subscription_id=subscription.id,
                        label=gettext("Add seats to %(product)s") % {"product": name},
                        running_no=item.running_no,
                        product_id=item.product_id,
                        product_name=name,
                        current_quantity=item.quantity,
                        min_quantity=product.min_seats_per_change,
                        max_quantity=most,
                        new_product_id=item.product_id,
                    )
                )
        for coterm in product.coterm_offers:
            if not coterm.active:
                continue
            total = coterm.total_for(item.quantity)
            if total is None:
                continue
            offers.append(
                Offer(
                    kind=ChangeKind.COTERM,
                    subscription_id=subscription.id,
                    label=coterm.label,
                    description=coterm.description,
                    running_no=item.running_no,
                    product_id=item.product_id,
                    product_name=name,
                    current_quantity=item.quantity,
                    min_quantity=coterm.add_seats,
                    max_quantity=coterm.add_seats,
                    total_quantity=total,
                    new_product_id=coterm.target_product_id,
                )
            )
        for addon in product.addons:
            if not addon.active or addon.vendor_product_id in held or addon.vendor_product_id in addon_seen:
                continue
            addon_seen.add(addon.vendor_product_id)
            offers.append(
                Offer(
                    kind=ChangeKind.ADDON,
                    subscription_id=subscription.id,
                    label=gettext("Add %(product)s") % {"product": addon.name},
                    description=addon.description,
                    product_name=addon.name,
                    min_quantity=addon.quantity,
                    max_quantity=addon.quantity,
                    total_quantity=addon.quantity,
                    new_product_id=addon.vendor_product_id,
                )
            )
    return offers


def seat_limits(subscription: Subscription, running_no: int) -> Offer | None:
    """The "add seats now" offer for one item, or None when it is not offered."""
    return next(
        (
            offer
            for offer in offers_for(subscription)
            if offer.kind == ChangeKind.INCREASE and offer.running_no == running_no
        ),
        None,
    )


def coterm_offer(subscription: Subscription, running_no: int, *, new_product_id: int | None = None) -> Offer | None:
    return next(
        (
            offer
            for offer in offers_for(subscription)
            if offer.kind == ChangeKind.COTERM
            and offer.running_no == running_no
            and (new_product_id is None or offer.new_product_id == new_product_id)
        ),
        None,
    )


def addon_offer(subscription: Subscription, product_id: int) -> Offer | None:
    return next(
        (
            offer
            for offer in offers_for(subscription)
            if offer.kind == ChangeKind.ADDON and offer.new_product_id == product_id
        ),
        None,
    )


def vendor_product_problem(product_id: int) -> str | None:
    """Why the vendor would not know this product id, or None when it does.

    The vendor's subscription API has no product lookup, so the check asks for a preview (which
    changes nothing and sends no mail) of adding the product to a designated probe subscription:
    a 404 means the vendor does not know the product. Without a probe subscription nothing is
    checked and the catalog says so.
    """
    probe = settings.CATALOG_PROBE_SUBSCRIPTION_ID
    if not probe:
        return None
    try:
        get_client().preview(AddItem(subscription_id=probe, product_id=product_id, quantity=1))
    except Rejected as exc:
        if exc.status == 404:
            return f"The vendor does not know product {product_id} ({exc.message})."
        return None  # the vendor knows the product but would not add it to the probe subscription
    except CleverbridgeError as exc:
        return f"Product {product_id} could not be checked with the vendor now ({exc.message}); try again."
    return None
