"""Which changes a subscription allows, from the catalog configured in the admin.

`offers_for` is what the subscription page shows, and the services check every requested
change against the same offers, so the page and the checks always agree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

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
    "offer_for",
    "offers_for",
    "retention_offers",
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
    new_product_name: str = ""
    effective_at: datetime | None = None
    """When the change takes effect at the vendor: None = now, else the date (the next billing date)."""

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.running_no or 0}-{self.new_product_id or self.product_id}"

    @property
    def takes_effect_now(self) -> bool:
        return self.effective_at is None


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
    removable: bool


@dataclass(frozen=True)
class _Switch:
    active: bool
    to_product_id: int
    to_name: str
    now: bool
    at_billing_date: bool
    cheaper: bool
    label: str
    description: str


@dataclass(frozen=True)
class _Product:
    """One catalog product as the offers need it: plain values, so a snapshot can live in the shared cache."""

    vendor_product_id: int
    name: str
    seats_offered: bool
    min_seats_per_change: int
    max_seats_per_change: int
    max_total_seats: int
    min_total_seats: int
    reduce_offered: bool
    cancellation_offered: bool
    retain_with_fewer_seats: bool
    retain_with_cheaper_plan: bool
    coterm_offers: tuple[_Coterm, ...]
    addons: tuple[_AddOn, ...]
    switches: tuple[_Switch, ...]


CATALOG_GENERATION_KEY = "catalog:generation"
CATALOG_SNAPSHOT_KEY = "catalog:snapshot:v2:{generation}"
CATALOG_SNAPSHOT_SECONDS = 24 * 60 * 60


def _snapshot_from_database() -> dict[int, _Product]:
    products = CatalogProduct.objects.prefetch_related("coterm_offers", "addons", "plan_switches")
    return {
        product.vendor_product_id: _Product(
            vendor_product_id=product.vendor_product_id,
            name=product.name,
            seats_offered=product.seats_offered,
            min_seats_per_change=product.min_seats_per_change,
            max_seats_per_change=product.max_seats_per_change,
            max_total_seats=product.max_total_seats,
            min_total_seats=product.min_total_seats,
            reduce_offered=product.reduce_offered,
            cancellation_offered=product.cancellation_offered,
            retain_with_fewer_seats=product.retain_with_fewer_seats,
            retain_with_cheaper_plan=product.retain_with_cheaper_plan,
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
                    removable=addon.removable,
                )
                for addon in product.addons.all()
            ),
            switches=tuple(
                _Switch(
                    active=switch.active,
                    to_product_id=switch.to_product_id,
                    to_name=switch.to_name,
                    now=switch.now,
                    at_billing_date=switch.at_billing_date,
                    cheaper=switch.cheaper,
                    label=switch.label,
                    description=switch.description,
                )
                for switch in product.plan_switches.all()
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


def _addon_of(product_id: int, catalog: dict[int, _Product], holders: set[int]) -> _AddOn | None:
    """The catalog's add-on entry for `product_id` under one of the `holders` (products of other items), if any."""
    for holder in sorted(holders):
        product = catalog.get(holder)
        if product is None:
            continue
        for addon in product.addons:
            if addon.vendor_product_id == product_id:
                return addon
    return None


def offers_for(subscription: Subscription) -> list[Offer]:
    """Every change this subscription allows now; none when it is not active.

    An item with a change scheduled at the vendor (a new version from the next billing date, or its removal) offers
    only the undo of that; a subscription that ends at its billing date (renewal stopped) offers only to resume.
    """
    if not subscription.is_active:
        return []
    items = _changeable_items(subscription)
    current = subscription.current_items
    catalog = _catalog({item.product_id for item in current})
    if subscription.cancels_at_period_end:
        # Nothing scheduled for the end date takes effect, so undoing it would promise billing that never comes.
        return [
            Offer(
                kind=ChangeKind.RESUME,
                subscription_id=subscription.id,
                label=gettext("Resume automatic renewal"),
            ),
        ]
    held = {item.product_id for item in current}
    offers: list[Offer] = []
    addon_seen: set[int] = set()
    staying = [item for item in items if not item.removal_scheduled]
    offers += _undo_offers(subscription, items, catalog)
    for item in items:
        if item.removal_scheduled or subscription.scheduled_item(item.running_no) is not None:
            continue
        product = catalog.get(item.product_id)
        if product is None:
            if len(staying) > 1:
                offers += _removal_offer(subscription, item, catalog, held)
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
        offers += _reduce_offers(subscription, item, product, name)
        offers += _switch_offers(subscription, item, product, name)
        if len(staying) > 1:
            offers += _removal_offer(subscription, item, catalog, held)
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
    offers += _reactivate_offers(subscription, catalog, held)
    if items and all(_cancellable(item, catalog, held) for item in items):
        offers.append(
            Offer(
                kind=ChangeKind.CANCEL,
                subscription_id=subscription.id,
                label=gettext("Cancel at the end of the period"),
                effective_at=subscription.next_billing_date,
            )
        )
    return offers


def _cancellable(item: SubscriptionItem, catalog: dict[int, _Product], held: set[int]) -> bool:
    """A catalog product that allows cancelling, or an add-on of another item's product (it ends with them)."""
    product = catalog.get(item.product_id)
    if product is not None:
        return product.cancellation_offered
    return _addon_of(item.product_id, catalog, held - {item.product_id}) is not None


def _reduce_offers(subscription: Subscription, item: SubscriptionItem, product: _Product, name: str) -> list[Offer]:
    if not product.reduce_offered or item.quantity <= product.min_total_seats:
        return []
    return [
        Offer(
            kind=ChangeKind.REDUCE,
            subscription_id=subscription.id,
            label=gettext("Fewer seats of %(product)s") % {"product": name},
            running_no=item.running_no,
            product_id=item.product_id,
            product_name=name,
            current_quantity=item.quantity,
            min_quantity=product.min_total_seats,
            max_quantity=item.quantity - 1,
            new_product_id=item.product_id,
            effective_at=subscription.next_billing_date,
        )
    ]


def _switch_offers(subscription: Subscription, item: SubscriptionItem, product: _Product, name: str) -> list[Offer]:
    offers = []
    for switch in product.switches:
        if not switch.active or switch.to_product_id == item.product_id:
            continue
        common = {
            "subscription_id": subscription.id,
            "description": switch.description,
            "running_no": item.running_no,
            "product_id": item.product_id,
            "product_name": name,
            "current_quantity": item.quantity,
            "min_quantity": item.quantity,
            "max_quantity": item.quantity,
            "total_quantity": item.quantity,
            "new_product_id": switch.to_product_id,
            "new_product_name": switch.to_name,
        }
        if switch.now:
            label = switch.label or gettext("Switch to %(plan)s now") % {"plan": switch.to_name}
            offers.append(Offer(kind=ChangeKind.SWITCH_NOW, label=label, **common))
        if switch.at_billing_date:
            label = switch.label or gettext("Switch to %(plan)s at the next billing date") % {"plan": switch.to_name}
            offers.append(
                Offer(kind=ChangeKind.SWITCH_LATER, label=label, effective_at=subscription.next_billing_date, **common)
            )
    return offers


def _removal_offer(
    subscription: Subscription, item: SubscriptionItem, catalog: dict[int, _Product], held: set[int]
) -> list[Offer]:
    """Remove an add-on at the next billing date: only an item whose product the catalog names as an add-on of
    another item's product (never the last item staying: the vendor keeps at least one, cancelling ends the rest)."""
    addon = _addon_of(item.product_id, catalog, held - {item.product_id})
    if addon is None or not addon.removable:
        return []
    name = item.product_name or addon.name
    return [
        Offer(
            kind=ChangeKind.REMOVE_ADDON,
            subscription_id=subscription.id,
            label=gettext("Remove %(product)s") % {"product": name},
            running_no=item.running_no,
            product_id=item.product_id,
            product_name=name,
            current_quantity=item.quantity,
            min_quantity=0,
            max_quantity=0,
            total_quantity=0,
            new_product_id=item.product_id,
            effective_at=subscription.next_billing_date,
        )
    ]


def _reactivate_offers(subscription: Subscription, catalog: dict[int, _Product], held: set[int]) -> list[Offer]:
    """A deactivated item comes back when its product is still in the catalog (a product, or an active add-on)."""
    offers = []
    for item in subscription.current_items:
        if not item.is_deactivated:
            continue
        addon = _addon_of(item.product_id, catalog, held - {item.product_id})
        if item.product_id not in catalog and (addon is None or not addon.active):
            continue
        name = item.product_name or (addon.name if addon else catalog[item.product_id].name)
        offers.append(
            Offer(
                kind=ChangeKind.REACTIVATE,
                subscription_id=subscription.id,
                label=gettext("Reactivate %(product)s") % {"product": name},
                running_no=item.running_no,
                product_id=item.product_id,
                product_name=name,
                current_quantity=item.quantity,
                min_quantity=item.quantity,
                max_quantity=item.quantity,
                total_quantity=item.quantity,
                new_product_id=item.product_id,
            )
        )
    return offers


def _undo_offers(
    subscription: Subscription, items: list[SubscriptionItem], catalog: dict[int, _Product]
) -> list[Offer]:
    """Undo what is scheduled on an active item: a new version (undo) or its removal (reactivate)."""
    offers = []
    for item in items:
        name = item.product_name or (catalog[item.product_id].name if item.product_id in catalog else "")
        common = {
            "subscription_id": subscription.id,
            "running_no": item.running_no,
            "product_id": item.product_id,
            "product_name": name,
            "current_quantity": item.quantity,
            "min_quantity": item.quantity,
            "max_quantity": item.quantity,
            "total_quantity": item.quantity,
            "new_product_id": item.product_id,
        }
        scheduled = subscription.scheduled_item(item.running_no)
        if scheduled is not None:
            label = gettext("Undo the change to %(product)s") % {"product": name}
            offers.append(Offer(kind=ChangeKind.UNDO, label=label, **common))
        elif item.removal_scheduled:
            label = gettext("Keep %(product)s") % {"product": name}
            offers.append(Offer(kind=ChangeKind.REACTIVATE, label=label, **common))
    return offers


def offer_for(
    subscription: Subscription, kind: str, *, running_no: int | None = None, product_id: int | None = None
) -> Offer | None:
    """The offer of `kind` on that item (and to that product, when given), or None when it is not offered now."""
    return next(
        (
            offer
            for offer in offers_for(subscription)
            if offer.kind == kind
            and (running_no is None or offer.running_no == running_no)
            and (product_id is None or offer.new_product_id == product_id)
        ),
        None,
    )


def retention_offers(subscription: Subscription) -> list[Offer]:
    """What to offer before a cancellation, as the catalog enables it: fewer seats, and a cheaper plan (at the
    next billing date, so nothing is charged now)."""
    offers = offers_for(subscription)
    items = {item.running_no: item for item in subscription.current_items}
    catalog = _catalog({item.product_id for item in items.values()})
    kept = []
    for offer in offers:
        product = catalog.get(offer.product_id) if offer.product_id is not None else None
        if product is None:
            continue
        if offer.kind == ChangeKind.REDUCE and product.retain_with_fewer_seats:
            kept.append(offer)
        elif offer.kind == ChangeKind.SWITCH_LATER and product.retain_with_cheaper_plan:
            switch = next((s for s in product.switches if s.to_product_id == offer.new_product_id), None)
            if switch is not None and switch.cheaper:
                kept.append(offer)
    return kept


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
