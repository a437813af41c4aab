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
from sandbox.notifications import notification_record

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
            break
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
        item = None
        if kind != "add":
            item = next((candidate for candidate in items if candidate.running_no == running_no), None)
            if item is None:
                raise SandboxError(404, "Item not found")
        product = item.product if kind == "increase" else Product.objects.filter(pk=product_id).first()
        if product is None:
            raise SandboxError(404, "Product not found.")
        if product.interval != subscription.interval:
            raise invalid("All items of a subscription share one billing interval.")
        if not product.tiers(subscription.currency):
            raise invalid(f"Product {product.pk} has no price in {subscription.currency}.")

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
        after = subscription_gross(subscription, [i for i in items if i is not item] + [changed])
        charge = _alignment_charge(subscription=subscription, before=before, after=after, alignment=alignment, now=now)
        if charge < 0:
            raise invalid("The change would credit the customer; downgrade without alignment instead.")
        vat_rate = subscription.customer.vat_rate
        quote = ChangeQuote(
            currency=subscription.currency,
            alignment=pricing.split_gross(charge, vat_rate, subscription.currency),
            next_billing=pricing.split_gross(after, vat_rate, subscription.currency),
            next_renewal=pricing.split_gross(after, vat_rate, subscription.currency),
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
