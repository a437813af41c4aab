"""State changes of the sandbox: renewals, item changes, purchases, mail, faults.

Every write locks the subscription row first and does its read-modify-write in one transaction,
so concurrent commits add up instead of overwriting each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.db import transaction

from sandbox import pricing
from sandbox.clock import clock_now
from sandbox.models import (
    PURCHASE_ID_BASE,
    Customer,
    Fault,
    FaultTarget,
    OutboxEmail,
    Product,
    Purchase,
    PurchaseCategory,
    RenewalType,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)
from sandbox.notifications import (
    REFUND_KINDS,
    notification_record,
    recurring_billing_canceled_record,
    recurring_billing_reinstated_record,
    refund_record,
    renewal_type_changed_record,
)

MAX_RENEWALS_PER_ACCESS = 1000
MAX_QUANTITY = 1_000_000
MAX_ID = 2**62
ChangeKind = Literal["increase", "update", "add"]


class SandboxError(Exception):
    """A refusal the vendor would answer with `status` and `message` as ResultMessage."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def invalid(reason: str) -> SandboxError:
    return SandboxError(402, f"Invalid parameters. {reason}")


@dataclass(frozen=True)
class Alignment:
    """The request's AlignmentSettings; a missing object means: no preview, no alignment."""

    preview_only: bool = False
    align_to_current_interval: bool = False
    extend_interval: bool = False


@dataclass(frozen=True)
class ChangeQuote:
    """What a change costs now and what it will cost per interval; the body of the vendor's answer."""

    currency: str
    alignment: pricing.Amount
    next_billing: pricing.Amount
    next_renewal: pricing.Amount
    applied: bool
    purchase: Purchase | None = field(default=None, compare=False)


def subscription_id_from(raw: str | int) -> int:
    """The vendor accepts `S68574751` and `68574751` alike."""
    text = str(raw).strip()
    if text[:1] in {"S", "s"}:
        text = text[1:]
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise SandboxError(400, "Invalid field type: SubscriptionId.")
    return int(text)


def current_items(subscription: Subscription) -> list[SubscriptionItem]:
    return list(subscription.item_versions.filter(is_current=True).select_related("product").order_by("running_no"))


def item_gross(item: SubscriptionItem, currency: str, quantity: int | None = None) -> Decimal:
    tiers = item.product.tiers(currency)
    if not tiers:
        raise invalid(f"Product {item.product_id} has no price in {currency}.")
    return pricing.recurring_gross(tiers, item.quantity if quantity is None else quantity)


def subscription_gross(subscription: Subscription, items: list[SubscriptionItem]) -> Decimal:
    return sum(
        (item_gross(item, subscription.currency) for item in items if item.status == SubscriptionStatus.ACTIVE),
        Decimal(0),
    )


def scheduled_versions(subscription: Subscription) -> dict[int, SubscriptionItem]:
    """Each item's version that becomes current at the next billing date (not current, above the current version)."""
    versions = list(subscription.item_versions.select_related("product").order_by("running_no", "version"))
    current = {version.running_no: version.version for version in versions if version.is_current}
    return {
        version.running_no: version
        for version in versions
        if not version.is_current and version.version > current.get(version.running_no, version.version)
    }


def billed_at_next(
    subscription: Subscription, items: list[SubscriptionItem], scheduled: dict[int, SubscriptionItem]
) -> Decimal:
    """What the next billing date charges: active items not ending then, each at its scheduled version if any."""
    return sum(
        (
            item_gross(scheduled.get(item.running_no, item), subscription.currency)
            for item in items
            if item.status == SubscriptionStatus.ACTIVE and item.deactivation_date is None
        ),
        Decimal(0),
    )


def _apply_due(subscription: Subscription, due: datetime) -> None:
    """At a billing date, before it is priced: scheduled versions become current and scheduled removals happen."""
    for version in scheduled_versions(subscription).values():
        if version.version_active_date <= due:
            SubscriptionItem.objects.filter(
                subscription=subscription, running_no=version.running_no, is_current=True
            ).update(is_current=False)
            SubscriptionItem.objects.filter(pk=version.pk).update(is_current=True)
    SubscriptionItem.objects.filter(
        subscription=subscription,
        is_current=True,
        status=SubscriptionStatus.ACTIVE,
        deactivation_date__lte=due,
    ).update(status=SubscriptionStatus.DEACTIVATED)


def card_expired_by(subscription: Subscription, moment: datetime) -> bool:
    """A card is valid through the last day of its expiry month."""
    if not subscription.card_expiry_year or not subscription.card_expiry_month:
        return False
    return (moment.year, moment.month) > (subscription.card_expiry_year, subscription.card_expiry_month)


def _renew_due(subscription: Subscription, now: datetime) -> bool:
    """Roll a locked subscription forward over every billing date that sandbox time has passed."""
    changed = False
    for _ in range(MAX_RENEWALS_PER_ACCESS):
        due = subscription.next_billing_date
        if subscription.status != SubscriptionStatus.ACTIVE or due > now:
            break
        changed = True
        if subscription.renewal_type == RenewalType.MANUAL:
            subscription.status = SubscriptionStatus.FINISHED
            subscription.end_date = due
            subscription.save()
            recurring_billing_canceled_record(subscription=subscription)
            break
        _apply_due(subscription, due)
        if card_expired_by(subscription, due):
            subscription.status = SubscriptionStatus.GRACE
            break
        subscription.intervals_since_anchor += 1
        subscription.last_interval_no += 1
        amount = pricing.split_gross(
            subscription_gross(subscription, current_items(subscription)),
            subscription.customer.vat_rate,
            subscription.currency,
        )
        Purchase.objects.create(
            subscription=subscription,
            interval_no=subscription.last_interval_no,
            category=PurchaseCategory.RENEWAL,
            currency=subscription.currency,
            gross=amount.gross,
            net=amount.net,
            vat=amount.vat,
            created_at=due,
        )
    if changed:
        subscription.save()
    return changed


def subscription_load(*, subscription_id: int) -> Subscription:
    """The subscription as of sandbox time: renewals that fell due are booked first (lazily, on access)."""
    subscription = Subscription.objects.select_related("customer").filter(pk=subscription_id).first()
    if subscription is None:
        raise SandboxError(404, "Subscription not found.")
    now = clock_now()
    if subscription.status == SubscriptionStatus.ACTIVE and subscription.next_billing_date <= now:
        with transaction.atomic():
            subscription = Subscription.objects.select_for_update().select_related("customer").get(pk=subscription_id)
            _renew_due(subscription, now)
    return subscription


def customer_find(*, customer_id: int | None = None, email: str = "", reference_id: str = "") -> Customer:
    customers = Customer.objects.all()
    if customer_id is not None:
        customers = customers.filter(pk=customer_id)
    elif email:
        customers = customers.filter(email__iexact=email)
    else:
        customers = customers.filter(reference_id=reference_id)
    customer = customers.first()
    if customer is None:
        raise SandboxError(404, "Customer not found.")
    return customer


def _alignment_charge(
    *, subscription: Subscription, before: Decimal, after: Decimal, alignment: Alignment, now: datetime
) -> Decimal:
    if not alignment.align_to_current_interval:
        return Decimal(0)
    fraction = pricing.remaining_fraction(
        now=now, period_start=subscription.current_period_start, period_end=subscription.next_billing_date
    )
    charge_of = pricing.extend_charge if alignment.extend_interval else pricing.coterm_charge
    return charge_of(before=before, after=after, fraction=fraction, currency=subscription.currency)


def subscription_item_change(
    *,
    subscription_id: int,
    kind: ChangeKind,
    quantity: int,
    alignment: Alignment,
    running_no: int | None = None,
    product_id: int | None = None,
    generate_mail: bool = False,
    update_action: str = "Update",
) -> ChangeQuote:
    """Quote and (unless a preview) apply one of the vendor's three item changes.

    `quantity` is the number of seats to add for `increase`, the new total for `update` and the
    new item's quantity for `add`.
    """
    if quantity <= 0:
        raise invalid("Quantity must be positive.")
    if quantity > MAX_QUANTITY:
        raise invalid(f"Quantity must not exceed {MAX_QUANTITY}.")
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("customer").filter(pk=subscription_id)
        subscription = subscription.first()
        if subscription is None:
            raise SandboxError(404, "Subscription not found.")
        now = clock_now()
        _renew_due(subscription, now)
        if subscription.status != SubscriptionStatus.ACTIVE:
            raise invalid("Subscription is not active.")
        items = current_items(subscription)
        scheduled = scheduled_versions(subscription)
        item = None
        if kind != "add":
            item = next((candidate for candidate in items if candidate.running_no == running_no), None)
            if item is None:
                raise SandboxError(404, "Item not found")
            _require_changeable(item)
        product = item.product if kind == "increase" else Product.objects.filter(pk=product_id).first()
        if product is None:
            raise SandboxError(404, "Product not found.")
        if product.interval != subscription.interval:
            raise invalid("All items of a subscription share one billing interval.")
        if not product.tiers(subscription.currency):
            raise invalid(f"Product {product.pk} has no price in {subscription.currency}.")
        if not product.sold and (item is None or product.pk != item.product_id):
            raise invalid(f"Product {product.pk} is no longer sold.")
        if kind == "update" and item is not None and not alignment.align_to_current_interval:
            return _schedule_update(
                subscription=subscription,
                items=items,
                scheduled=scheduled,
                item=item,
                product=product,
                quantity=quantity,
                alignment=alignment,
                generate_mail=generate_mail,
                update_action=update_action,
                now=now,
            )
        if item is not None and item.running_no in scheduled:
            raise invalid("A change is scheduled for this item; undo it first.")

        new_quantity = item.quantity + quantity if kind == "increase" else quantity
        if new_quantity > MAX_QUANTITY:
            raise invalid(f"Quantity must not exceed {MAX_QUANTITY}.")
        changed = SubscriptionItem(
            subscription=subscription,
            running_no=item.running_no if item else max((i.running_no for i in items), default=0) + 1,
            version=item.version + 1 if item else 1,
            product=product,
            quantity=new_quantity,
            start_date=item.start_date if item else now,
            version_active_date=now,
        )
        before = subscription_gross(subscription, items)
        changed_items = [i for i in items if i is not item] + [changed]
        after = subscription_gross(subscription, changed_items)
        charge = _alignment_charge(subscription=subscription, before=before, after=after, alignment=alignment, now=now)
        if charge < 0:
            raise invalid("The change would credit the customer; downgrade without alignment instead.")
        vat_rate = subscription.customer.vat_rate
        next_gross = billed_at_next(subscription, changed_items, scheduled)
        quote = ChangeQuote(
            currency=subscription.currency,
            alignment=pricing.split_gross(charge, vat_rate, subscription.currency),
            next_billing=pricing.split_gross(next_gross, vat_rate, subscription.currency),
            next_renewal=pricing.split_gross(next_gross, vat_rate, subscription.currency),
            applied=not alignment.preview_only,
        )
        if alignment.preview_only:
            return quote

        if item is not None:
            SubscriptionItem.objects.filter(pk=item.pk).update(is_current=False)
        changed.save()
        if alignment.align_to_current_interval and alignment.extend_interval:
            subscription.billing_anchor = now
            subscription.intervals_since_anchor = 0
            subscription.save()
            _follow_billing_date(subscription, scheduled)
        purchase = None
        if charge > 0:
            purchase = Purchase.objects.create(
                subscription=subscription,
                item_version=changed,
                running_no=changed.running_no,
                interval_no=subscription.last_interval_no,
                category=PurchaseCategory.ALIGNMENT,
                currency=subscription.currency,
                gross=quote.alignment.gross,
                net=quote.alignment.net,
                vat=quote.alignment.vat,
                created_at=now,
            )
            notification_record(purchase=purchase, item=changed)
        if generate_mail:
            _mail_change(
                subscription=subscription,
                item=changed,
                previous=item,
                quote=quote,
                update_action=update_action,
                now=now,
            )
        return replace(quote, purchase=purchase)


def _follow_billing_date(subscription: Subscription, scheduled: dict[int, SubscriptionItem]) -> None:
    """An extension moved the next billing date: what was planned for the next billing date moves with it."""
    when = subscription.next_billing_date
    SubscriptionItem.objects.filter(pk__in=[version.pk for version in scheduled.values()]).update(
        version_active_date=when
    )
    SubscriptionItem.objects.filter(
        subscription=subscription, is_current=True, status=SubscriptionStatus.ACTIVE, deactivation_date__isnull=False
    ).update(deactivation_date=when)


def _require_changeable(item: SubscriptionItem) -> None:
    if item.status != SubscriptionStatus.ACTIVE:
        raise invalid("Item is not active.")
    if item.deactivation_date is not None:
        raise invalid("The item's deactivation is scheduled; reinstate it first.")


def _schedule_update(
    *,
    subscription: Subscription,
    items: list[SubscriptionItem],
    scheduled: dict[int, SubscriptionItem],
    item: SubscriptionItem,
    product: Product,
    quantity: int,
    alignment: Alignment,
    generate_mail: bool,
    update_action: str,
    now: datetime,
) -> ChangeQuote:
    """An update without alignment: a new version from the next billing date, nothing charged now.

    It replaces the item's earlier scheduled version (which is deleted); the current product and
    quantity remove the scheduled version, so that the change is undone.
    """
    undo = product.pk == item.product_id and quantity == item.quantity
    planned = SubscriptionItem(
        subscription=subscription,
        running_no=item.running_no,
        version=item.version + 1,
        is_current=False,
        product=product,
        quantity=quantity,
        start_date=item.start_date,
        version_active_date=subscription.next_billing_date,
    )
    after = {k: v for k, v in scheduled.items() if k != item.running_no}
    if not undo:
        after[item.running_no] = planned
    next_gross = billed_at_next(subscription, items, after)
    vat_rate = subscription.customer.vat_rate
    quote = ChangeQuote(
        currency=subscription.currency,
        alignment=pricing.split_gross(Decimal(0), vat_rate, subscription.currency),
        next_billing=pricing.split_gross(next_gross, vat_rate, subscription.currency),
        next_renewal=pricing.split_gross(next_gross, vat_rate, subscription.currency),
        applied=not alignment.preview_only,
    )
    if alignment.preview_only:
        return quote
    if item.running_no in scheduled:
        scheduled[item.running_no].delete()
    if not undo:
        planned.save()
    if generate_mail:
        if undo:
            what = f"The change scheduled for {item.product.name} has been withdrawn."
        else:
            what = (
                f"From {subscription.next_billing_date:%Y-%m-%d}: {item.product.name} ({item.quantity}) "
                f"becomes {product.name} ({quantity})."
            )
        _mail(
            subscription,
            f"Your subscription S{subscription.pk} has been changed ({update_action})",
            [
                what,
                "Nothing is charged now.",
                f"From {subscription.next_billing_date:%Y-%m-%d} you pay {quote.next_billing.gross} {quote.currency} "
                f"(net {quote.next_billing.net}, VAT {quote.next_billing.vat}) per interval.",
            ],
            now,
        )
    return quote


def _mail(subscription: Subscription, subject: str, lines: list[str], now: datetime) -> OutboxEmail:
    return OutboxEmail.objects.create(
        subscription=subscription,
        to=subscription.customer.email,
        subject=subject,
        body="\n".join(lines),
        created_at=now,
    )


def _locked_active(subscription_id: int) -> tuple[Subscription, datetime]:
    """The subscription locked, its due renewals booked; 404 when unknown, 402 when not active. Inside atomic()."""
    subscription = (
        Subscription.objects.select_for_update().select_related("customer").filter(pk=subscription_id).first()
    )
    if subscription is None:
        raise SandboxError(404, "Subscription not found.")
    now = clock_now()
    _renew_due(subscription, now)
    if subscription.status != SubscriptionStatus.ACTIVE:
        raise invalid("Subscription is not active.")
    return subscription, now


def _named_items(subscription: Subscription, running_nos: list[int]) -> list[SubscriptionItem]:
    items = {item.running_no: item for item in current_items(subscription)}
    missing = [running_no for running_no in running_nos if running_no not in items]
    if missing:
        raise SandboxError(404, "Item not found")
    return [items[running_no] for running_no in running_nos]


def subscription_items_deactivate(*, subscription_id: int, running_nos: list[int], generate_mail: bool = False) -> None:
    """End items at the next billing date: still active and billed until then, not renewed after it.

    An item whose deactivation is already scheduled is left as it is. At least one item must stay
    active without a scheduled end: the last one ends with the renewal type instead.
    """
    with transaction.atomic():
        subscription, now = _locked_active(subscription_id)
        named = _named_items(subscription, running_nos)
        scheduled = scheduled_versions(subscription)
        for item in named:
            if item.status != SubscriptionStatus.ACTIVE:
                raise invalid("Item is not active.")
            if item.running_no in scheduled:
                raise invalid("A change is scheduled for this item; undo it first.")
        staying = [
            item
            for item in current_items(subscription)
            if item.status == SubscriptionStatus.ACTIVE
            and item.deactivation_date is None
            and item.running_no not in running_nos
        ]
        if not staying:
            raise invalid("At least one item must stay active.")
        ending = [item for item in named if item.deactivation_date is None]
        when = subscription.next_billing_date
        SubscriptionItem.objects.filter(pk__in=[item.pk for item in ending]).update(deactivation_date=when)
        if generate_mail and ending:
            _mail(
                subscription,
                f"Your subscription S{subscription.pk} has been changed",
                [
                    *(f"{item.product.name} ends on {when:%Y-%m-%d} and is not renewed." for item in ending),
                    "Nothing is charged now.",
                ],
                now,
            )


def subscription_items_reinstate(*, subscription_id: int, running_nos: list[int], generate_mail: bool = False) -> None:
    """Make deactivated items active again, billed from the next billing date; or withdraw a scheduled deactivation.

    Only a deactivated item whose product is still sold can come back; an active item with nothing
    scheduled is refused.
    """
    with transaction.atomic():
        subscription, now = _locked_active(subscription_id)
        named = _named_items(subscription, running_nos)
        for item in named:
            if item.status == SubscriptionStatus.DEACTIVATED:
                if not item.product.sold:
                    raise invalid(f"Product {item.product_id} is no longer sold.")
            elif item.status != SubscriptionStatus.ACTIVE or item.deactivation_date is None:
                raise invalid("Item is not deactivated.")
        SubscriptionItem.objects.filter(pk__in=[item.pk for item in named]).update(
            status=SubscriptionStatus.ACTIVE, deactivation_date=None
        )
        recurring_billing_reinstated_record(subscription=subscription, running_nos=running_nos)
        if generate_mail:
            _mail(
                subscription,
                f"Your subscription S{subscription.pk} has been changed",
                [
                    *(f"{item.product.name} is active again." for item in named),
                    "Nothing is charged now.",
                    f"It is billed again from {subscription.next_billing_date:%Y-%m-%d}.",
                ],
                now,
            )


def subscription_renewal_type_set(*, subscription_id: int, renewal_type: str) -> bool:
    """Turn automatic renewal off (the subscription finishes at its billing date) or on; False when unchanged."""
    with transaction.atomic():
        subscription, now = _locked_active(subscription_id)
        if subscription.renewal_type == renewal_type:
            return False
        subscription.renewal_type = renewal_type
        subscription.save(update_fields=["renewal_type"])
        renewal_type_changed_record(subscription=subscription)
        if renewal_type == RenewalType.MANUAL:
            line = f"Automatic renewal is off: the subscription ends on {subscription.next_billing_date:%Y-%m-%d}."
        else:
            line = f"Automatic renewal is on again: next billing on {subscription.next_billing_date:%Y-%m-%d}."
        _mail(subscription, f"Your subscription S{subscription.pk} has been changed", [line], now)
        return True


def purchase_money_back(*, purchase_id: int, kind: str) -> Purchase:
    """The vendor refunded a purchase or its payment was charged back: it sends the notification (nothing else moves).

    `purchase_id` is the vendor's purchase id; `kind` "refund" or "chargeback".
    """
    if kind not in REFUND_KINDS:
        raise SandboxError(400, f"kind must be one of {', '.join(REFUND_KINDS)}.")
    purchase = None
    if purchase_id > PURCHASE_ID_BASE:
        purchase = (
            Purchase.objects.select_related("subscription", "subscription__customer")
            .filter(pk=purchase_id - PURCHASE_ID_BASE)
            .first()
        )
    if purchase is None:
        raise SandboxError(404, "Purchase not found.")
    with transaction.atomic():
        refund_record(purchase=purchase, kind=kind)
    return purchase


def _mail_change(
    *,
    subscription: Subscription,
    item: SubscriptionItem,
    previous: SubscriptionItem | None,
    quote: ChangeQuote,
    update_action: str,
    now: datetime,
) -> OutboxEmail:
    if previous is None:
        change = f"{item.product.name} added with {item.quantity} seat(s)"
    elif previous.product_id != item.product_id:
        change = f"{previous.product.name} ({previous.quantity}) changed to {item.product.name} ({item.quantity})"
    else:
        change = f"{item.product.name}: {previous.quantity} → {item.quantity} seat(s)"
    money = quote.currency
    body = "\n".join(
        [
            f"Your subscription S{subscription.pk} has been changed ({update_action}).",
            f"Change: {change}.",
            f"Charged now: {quote.alignment.gross} {money} (net {quote.alignment.net}, VAT {quote.alignment.vat}).",
            f"From {subscription.next_billing_date:%Y-%m-%d} you pay {quote.next_billing.gross} {money} "
            f"(net {quote.next_billing.net}, VAT {quote.next_billing.vat}) per interval.",
        ]
    )
    return OutboxEmail.objects.create(
        subscription=subscription,
        to=subscription.customer.email,
        subject=f"Your subscription S{subscription.pk} has been changed",
        body=body,
        created_at=now,
    )


def fault_take(*, method: str, call: Literal["read", "preview", "commit"] = "read") -> Fault | None:
    """Consume one planned fault for this API call, if any (oldest first, exact name or "*").

    A fault `on` "preview" or "commit" only hits change calls of that kind; `any` hits every call.
    """
    targets = [FaultTarget.ANY] if call == "read" else [FaultTarget.ANY, call]
    with transaction.atomic():
        fault = (
            Fault.objects.select_for_update().filter(method__in=[method, "*"], remaining__gt=0, on__in=targets).first()
        )
        if fault is None:
            return None
        taken = Fault(
            method=fault.method,
            mode=fault.mode,
            on=fault.on,
            remaining=1,
            status=fault.status,
            delay_seconds=fault.delay_seconds,
        )
        if fault.remaining <= 1:
            fault.delete()
        else:
            fault.remaining -= 1
            fault.save(update_fields=["remaining"])
        return taken
