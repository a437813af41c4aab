"""Business actions on subscription changes: quote, consent and commit.

Money moves here, so the order matters: lock, then check, then write; the consent is stored
and the quote marked as committing in its own transaction before the vendor is called; a
commit is sent at most once and its outcome is recorded whatever it is. Every state change
writes its ledger entry in the same transaction.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from babel.numbers import get_currency_precision
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from subscriptions import catalog, ledger, reads, states
from subscriptions.applied import Applied, change_applied, charged_after_error_flag, subscription_facts
from subscriptions.cleverbridge import (
    AddItem,
    Change,
    CleverbridgeClient,
    CleverbridgeError,
    DeactivateItems,
    Exchange,
    IncreaseQuantity,
    OutcomeUnknown,
    Prices,
    ReinstateItems,
    Rejected,
    SetRenewalType,
    Unavailable,
    UpdateItem,
    VendorQuote,
    get_client,
)
from subscriptions.errors import NotFound, NotYours
from subscriptions.formatting import CONSENT_TEXT_VERSION, consent_text
from subscriptions.models import (
    IN_FLIGHT_STATES,
    RENEWAL_KINDS,
    UNPRICED_KINDS,
    CancelReason,
    ChangeKind,
    Consent,
    Customer,
    Quote,
    QuoteState,
)
from subscriptions.notifications import notifications_kick
from subscriptions.reconcile import reconcile_schedule

if TYPE_CHECKING:
    from subscriptions.cleverbridge import Subscription, SubscriptionItem

logger = logging.getLogger(__name__)

__all__ = [
    "ChangeNotAllowed",
    "CommitOutcome",
    "CommitRefused",
    "change_build",
    "quote_commit",
    "quote_create",
]

USER_AGENT_MAX = 1000
REASON_TEXT_MAX = 1000
PRICED_BY_READ = "getsubscription"
"""What priced a change the vendor cannot preview (deactivate, reinstate, renewal type): its own read figures."""


class ChangeNotAllowed(Exception):
    """The requested change is not offered for this subscription; `message` says why, for the customer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CommitRefused(Exception):
    """The commit was refused before anything was written or sent. `code` is one of CODES."""

    CODES = ("consent_missing", "expired", "used", "in_flight")

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CommitOutcome:
    """What became of a commit: the quote in its final state and, for re-consent, the new quote."""

    quote: Quote
    reconsent_quote: Quote | None = None

    @property
    def state(self) -> str:
        return self.quote.state


@dataclass(frozen=True)
class _Plan:
    """A change checked against the subscription and the catalog: what it does, in our words."""

    kind: str
    running_no: int | None
    target: str
    product_id: int | None
    new_product_id: int
    product_name: str
    quantity_before: int
    quantity_after: int
    vendor_quantity: int
    effective_at: datetime | None = None
    new_product_name: str = ""
    renewal_type_after: str = ""


# --- Building and checking a change ------------------------------------------------------------


UPDATE_TERMS = {
    ChangeKind.COTERM: ("Upgrade", False),
    ChangeKind.SWITCH_NOW: ("Upgrade", False),
    ChangeKind.REDUCE: ("Downgrade", True),
    ChangeKind.SWITCH_LATER: ("Downgrade", True),
    ChangeKind.UNDO: ("Update", True),
}
"""The kinds sent with `updatesubscriptionitem`: the UpdateAction each reports, and whether it waits for the next
billing date (no alignment, nothing charged now) instead of applying now, pro rata."""


def _update_item(
    kind: str, *, subscription_id: int, running_no: int, product_id: int, total_quantity: int
) -> UpdateItem:
    action, at_next_billing = UPDATE_TERMS[kind]
    return UpdateItem(
        subscription_id=subscription_id,
        running_no=running_no,
        product_id=product_id,
        total_quantity=total_quantity,
        update_action=action,
        at_next_billing=at_next_billing,
    )


def change_build(
    *,
    subscription: Subscription,
    kind: str,
    running_no: int | None = None,
    quantity: int | None = None,
    product_id: int | None = None,
) -> Change:
    """The vendor change for what the customer asked, with every number taken from the catalog's offer.

    For a co-term offer and an add-on the quantities come from the offer, never from the request.
    """
    if kind == ChangeKind.INCREASE:
        if running_no is None or quantity is None:
            raise ChangeNotAllowed(_("Say how many seats to add."))
        if quantity < 1:
            raise ChangeNotAllowed(_("Add at least one seat."))
        return IncreaseQuantity(subscription_id=subscription.id, running_no=running_no, add_quantity=quantity)
    if kind == ChangeKind.COTERM:
        if running_no is None:
            raise ChangeNotAllowed(_("Choose the item to add a seat to."))
        offer = catalog.coterm_offer(subscription, running_no, new_product_id=product_id)
        if offer is None or offer.total_quantity is None or offer.new_product_id is None:
            raise ChangeNotAllowed(_("This offer is not available for this subscription."))
        return _update_item(
            kind,
            subscription_id=subscription.id,
            running_no=running_no,
            product_id=offer.new_product_id,
            total_quantity=offer.total_quantity,
        )
    if kind == ChangeKind.ADDON:
        if product_id is None:
            raise ChangeNotAllowed(_("Choose a product to add."))
        offer = catalog.addon_offer(subscription, product_id)
        if offer is None:
            raise ChangeNotAllowed(_("This product cannot be added to this subscription."))
        return AddItem(subscription_id=subscription.id, product_id=product_id, quantity=offer.total_quantity or 1)
    if kind in (ChangeKind.CANCEL, ChangeKind.RESUME):
        if catalog.offer_for(subscription, kind) is None:
            if kind == ChangeKind.CANCEL:
                raise ChangeNotAllowed(_("This subscription cannot be cancelled here."))
            raise ChangeNotAllowed(_("This subscription renews automatically already."))
        renewal_type = "Manual" if kind == ChangeKind.CANCEL else "Automatic"
        return SetRenewalType(subscription_id=subscription.id, renewal_type=renewal_type)
    if kind not in NEW_ITEM_KINDS:
        raise ChangeNotAllowed(_("Unknown kind of change."))
    if running_no is None:
        raise ChangeNotAllowed(_("Choose the item."))
    item = subscription.item(running_no)
    if kind == ChangeKind.REDUCE and quantity is None:
        raise ChangeNotAllowed(_("Say how many seats to keep."))
    if kind in (ChangeKind.SWITCH_NOW, ChangeKind.SWITCH_LATER) and product_id is None:
        raise ChangeNotAllowed(_("Choose the plan to switch to."))
    offer = catalog.offer_for(
        subscription,
        kind,
        running_no=running_no,
        product_id=product_id if kind in (ChangeKind.SWITCH_NOW, ChangeKind.SWITCH_LATER) else None,
    )
    if offer is None or item is None:
        raise ChangeNotAllowed(_("This change is not available for this item."))
    if kind == ChangeKind.REDUCE and not offer.min_quantity <= quantity <= offer.max_quantity:
        raise ChangeNotAllowed(
            _("You can keep between %(min)d and %(max)d seats.")
            % {"min": offer.min_quantity, "max": offer.max_quantity}
        )
    if kind in UPDATE_TERMS:
        switching = kind in (ChangeKind.SWITCH_NOW, ChangeKind.SWITCH_LATER)
        return _update_item(
            kind,
            subscription_id=subscription.id,
            running_no=running_no,
            product_id=offer.new_product_id if switching else item.product_id,
            total_quantity=quantity if kind == ChangeKind.REDUCE else item.quantity,
        )
    if kind == ChangeKind.REMOVE_ADDON:
        return DeactivateItems(subscription_id=subscription.id, running_nos=(running_no,))
    return ReinstateItems(subscription_id=subscription.id, running_nos=(running_no,))


NEW_ITEM_KINDS = (
    ChangeKind.REDUCE,
    ChangeKind.SWITCH_NOW,
    ChangeKind.SWITCH_LATER,
    ChangeKind.UNDO,
    ChangeKind.REMOVE_ADDON,
    ChangeKind.REACTIVATE,
)


def _update_kind(change: UpdateItem, item: SubscriptionItem) -> str | None:
    """Which of our kinds an item update is, told apart by when it applies, its product and its total."""
    same_product = change.product_id == item.product_id
    if change.at_next_billing:
        if change.update_action == "Update" and same_product:
            return ChangeKind.UNDO
        if change.update_action == "Downgrade" and same_product and change.total_quantity < item.quantity:
            return ChangeKind.REDUCE
        if change.update_action == "Downgrade" and not same_product and change.total_quantity == item.quantity:
            return ChangeKind.SWITCH_LATER
        return None
    if change.update_action != "Upgrade":
        return None
    if change.total_quantity > item.quantity:
        return ChangeKind.COTERM
    if not same_product and change.total_quantity == item.quantity:
        return ChangeKind.SWITCH_NOW
    return None


def _plan(subscription: Subscription, change: Change) -> _Plan:
    """Check `change` against the subscription as the vendor has it now and the catalog; raise ChangeNotAllowed."""
    if change.subscription_id != subscription.id:
        raise ChangeNotAllowed(_("The change is for another subscription."))
    if not subscription.is_active:
        raise ChangeNotAllowed(_("Only active subscriptions can be changed."))

    if isinstance(change, IncreaseQuantity | UpdateItem):
        item = subscription.item(change.running_no)
        if item is None:
            raise ChangeNotAllowed(_("This subscription has no such item."))
        if not item.is_current or not item.is_active:
            raise ChangeNotAllowed(_("This item is not active and cannot be changed."))

    if isinstance(change, IncreaseQuantity):
        offer = catalog.seat_limits(subscription, change.running_no)
        if offer is None:
            raise ChangeNotAllowed(_("Seats cannot be added to this item here."))
        if not offer.min_quantity <= change.add_quantity <= offer.max_quantity:
            raise ChangeNotAllowed(
                _("You can add between %(min)d and %(max)d seats at a time.")
                % {"min": offer.min_quantity, "max": offer.max_quantity}
            )
        return _Plan(
            kind=ChangeKind.INCREASE,
            running_no=item.running_no,
            target=f"item:{item.running_no}",
            product_id=item.product_id,
            new_product_id=item.product_id,
            product_name=item.product_name or offer.product_name,
            quantity_before=item.quantity,
            quantity_after=item.quantity + change.add_quantity,
            vendor_quantity=change.add_quantity,
        )

    if isinstance(change, UpdateItem) and _update_kind(change, item) != ChangeKind.COTERM:
        return _update_plan(subscription, change, item)

    if isinstance(change, DeactivateItems | ReinstateItems):
        return _items_plan(subscription, change)

    if isinstance(change, SetRenewalType):
        return _renewal_plan(subscription, change)

    if isinstance(change, UpdateItem):
        offer = catalog.coterm_offer(subscription, change.running_no, new_product_id=change.product_id)
        if (
            offer is None
            or offer.total_quantity != change.total_quantity
            or change.update_action != "Upgrade"
            or change.total_quantity <= item.quantity
        ):
            raise ChangeNotAllowed(_("This offer is not available for this subscription."))
        return _Plan(
            kind=ChangeKind.COTERM,
            running_no=item.running_no,
            target=f"item:{item.running_no}",
            product_id=item.product_id,
            new_product_id=change.product_id,
            product_name=item.product_name or offer.product_name,
            quantity_before=item.quantity,
            quantity_after=change.total_quantity,
            vendor_quantity=change.total_quantity,
        )

    if isinstance(change, AddItem):
        offer = catalog.addon_offer(subscription, change.product_id)
        if offer is None or change.quantity != offer.total_quantity:
            raise ChangeNotAllowed(_("This product cannot be added to this subscription."))
        return _Plan(
            kind=ChangeKind.ADDON,
            running_no=None,
            target=f"addon:{change.product_id}",
            product_id=None,
            new_product_id=change.product_id,
            product_name=offer.product_name,
            quantity_before=0,
            quantity_after=change.quantity,
            vendor_quantity=change.quantity,
        )

    raise ChangeNotAllowed(_("Unknown kind of change."))


def _update_plan(subscription: Subscription, change: UpdateItem, item: SubscriptionItem) -> _Plan:
    """Fewer seats, a plan switch (now or at the billing date), or the undo of a scheduled version."""
    kind = _update_kind(change, item)
    if kind is None:
        raise ChangeNotAllowed(_("This change is not available for this item."))
    switching = kind in (ChangeKind.SWITCH_NOW, ChangeKind.SWITCH_LATER)
    offer = catalog.offer_for(
        subscription, kind, running_no=item.running_no, product_id=change.product_id if switching else None
    )
    if offer is None:
        raise ChangeNotAllowed(_("This change is not available for this item."))
    name = item.product_name or offer.product_name
    common = {
        "kind": kind,
        "running_no": item.running_no,
        "target": f"item:{item.running_no}",
        "product_name": name,
        "vendor_quantity": change.total_quantity,
    }
    if kind == ChangeKind.REDUCE:
        if not offer.min_quantity <= change.total_quantity <= offer.max_quantity:
            raise ChangeNotAllowed(
                _("You can keep between %(min)d and %(max)d seats.")
                % {"min": offer.min_quantity, "max": offer.max_quantity}
            )
        return _Plan(
            **common,
            product_id=item.product_id,
            new_product_id=item.product_id,
            new_product_name=name,
            quantity_before=item.quantity,
            quantity_after=change.total_quantity,
            effective_at=subscription.next_billing_date,
        )
    if switching:
        return _Plan(
            **common,
            product_id=item.product_id,
            new_product_id=change.product_id,
            new_product_name=offer.new_product_name,
            quantity_before=item.quantity,
            quantity_after=change.total_quantity,
            effective_at=subscription.next_billing_date if kind == ChangeKind.SWITCH_LATER else None,
        )
    scheduled = subscription.scheduled_item(item.running_no)
    if scheduled is None or change.total_quantity != item.quantity:
        raise ChangeNotAllowed(_("Nothing is scheduled for this item any more."))
    # Before: what was scheduled (the version the undo removes); after: the item as it is now.
    return _Plan(
        **common,
        product_id=scheduled.product_id,
        new_product_id=item.product_id,
        new_product_name=name,
        quantity_before=scheduled.quantity,
        quantity_after=item.quantity,
    )


def _items_plan(subscription: Subscription, change: DeactivateItems | ReinstateItems) -> _Plan:
    """Remove an add-on at the billing date, or bring it back (a deactivated item, or one whose removal is
    scheduled). Quantities are the item's active seats before and after: 0 while deactivated."""
    kind = ChangeKind.REMOVE_ADDON if isinstance(change, DeactivateItems) else ChangeKind.REACTIVATE
    if len(change.running_nos) != 1:
        raise ChangeNotAllowed(_("Choose one item."))
    running_no = change.running_nos[0]
    offer = catalog.offer_for(subscription, kind, running_no=running_no)
    item = subscription.item(running_no)
    if offer is None or item is None:
        raise ChangeNotAllowed(_("This change is not available for this item."))
    if kind == ChangeKind.REMOVE_ADDON:
        before, after, effective_at = item.quantity, 0, subscription.next_billing_date
    else:
        before, after, effective_at = (0 if item.is_deactivated else item.quantity), item.quantity, None
    name = item.product_name or offer.product_name
    return _Plan(
        kind=kind,
        running_no=running_no,
        target=f"item:{running_no}",
        product_id=item.product_id,
        new_product_id=item.product_id,
        product_name=name,
        new_product_name=name,
        quantity_before=before,
        quantity_after=after,
        vendor_quantity=len(change.running_nos),
        effective_at=effective_at,
    )


def _renewal_plan(subscription: Subscription, change: SetRenewalType) -> _Plan:
    """Cancel at the end of the period (renewal Manual) or resume it (Automatic): the whole subscription."""
    kind = ChangeKind.CANCEL if change.renewal_type.lower() == "manual" else ChangeKind.RESUME
    if catalog.offer_for(subscription, kind) is None:
        if kind == ChangeKind.CANCEL:
            raise ChangeNotAllowed(_("This subscription cannot be cancelled here."))
        raise ChangeNotAllowed(_("This subscription renews automatically already."))
    items = [item for item in subscription.current_items if item.is_active]
    first = items[0] if items else None
    return _Plan(
        kind=kind,
        running_no=None,
        target="renewal",
        product_id=None,
        new_product_id=first.product_id if first else 0,
        product_name=", ".join(item.product_name for item in items if item.product_name),
        quantity_before=0,
        quantity_after=0,
        vendor_quantity=0,
        effective_at=subscription.next_billing_date if kind == ChangeKind.CANCEL else None,
        renewal_type_after="Manual" if kind == ChangeKind.CANCEL else "Automatic",
    )


def _read_prices(subscription: Subscription, plan: _Plan, change: Change) -> VendorQuote:
    """The prices of a change the vendor cannot preview, from its own figures in the fresh read.

    Nothing is charged now; the next billing is the subscription's, less (removal) or plus (reactivation) the
    item's own, nothing after a cancellation, and the subscription's own when resuming.
    """
    currency = subscription.currency
    zero = Prices(gross=Decimal(0), net=Decimal(0), vat=Decimal(0), currency=currency)

    def combined(total: Prices, part: Prices | None, sign: int) -> Prices:
        if part is None:
            return total
        return _split(total.gross + sign * part.gross, like=total if total.gross else part)

    item = subscription.item(plan.running_no) if plan.running_no is not None else None
    if plan.kind == ChangeKind.CANCEL:
        next_billing = next_renewal = zero
    elif plan.kind == ChangeKind.REMOVE_ADDON:
        next_billing = combined(subscription.next_billing, item.next_billing if item else None, -1)
        next_renewal = combined(subscription.next_renewal, item.next_renewal if item else None, -1)
    elif plan.kind == ChangeKind.REACTIVATE:
        next_billing = combined(subscription.next_billing, item.next_billing if item else None, 1)
        next_renewal = combined(subscription.next_renewal, item.next_renewal if item else None, 1)
    else:
        next_billing, next_renewal = subscription.next_billing, subscription.next_renewal
    figures = {
        "priced_by": PRICED_BY_READ,
        "subscription": f"S{subscription.id}",
        "next_billing_gross": str(subscription.next_billing.gross),
        "item_next_billing_gross": str(item.next_billing.gross) if item else None,
    }
    exchange = Exchange(
        method=PRICED_BY_READ,
        request_body={"subscriptionId": f"S{subscription.id}"},
        status=200,
        response_text=json.dumps(figures),
        duration_ms=0,
    )
    return VendorQuote(
        charge_now=zero, next_billing=next_billing, next_renewal=next_renewal, currency=currency, exchange=exchange
    )


def _split(gross: Decimal, *, like: Prices) -> Prices:
    """Net and VAT of a gross amount as the vendor splits it: net = gross / (1 + the VAT rate), rounded half-up to
    the currency's minor unit, and VAT the rest. The rate is the one `like` (a figure of the same subscription)
    was split with; subtracting rounded nets instead could be a cent off the vendor's own figure."""
    minor_unit = Decimal(1).scaleb(-get_currency_precision(like.currency))
    if not gross or not like.net or not like.vat:
        return Prices(gross=gross, net=gross, vat=Decimal(0), currency=like.currency)
    rate = (like.gross / like.net - 1).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    net = (gross / (1 + rate)).quantize(minor_unit, rounding=ROUND_HALF_UP)
    return Prices(gross=gross, net=net, vat=gross - net, currency=like.currency)


FREE_NOW_KINDS = (*UNPRICED_KINDS, ChangeKind.REDUCE, ChangeKind.SWITCH_LATER, ChangeKind.UNDO)
"""The kinds whose consent text says "Nothing is charged now"."""


def _price(client: CleverbridgeClient, subscription: Subscription, plan: _Plan, change: Change) -> VendorQuote:
    """The vendor's preview for a priced change; its read's figures for one it cannot preview.

    A kind that charges nothing now is never quoted or sent with a charge now: its consent text would be false.
    """
    prices = client.preview(change) if change.priced else _read_prices(subscription, plan, change)
    if plan.kind in FREE_NOW_KINDS and prices.charge_now.gross != 0:
        logger.error("S%s: the vendor priced a %s at %s now", subscription.id, plan.kind, prices.charge_now.gross)
        raise ChangeNotAllowed(
            _("The billing provider would charge this change now, so it was not made. Please contact us.")
        )
    return prices


def _change_of(quote: Quote) -> Change:
    """The vendor change a stored quote stands for, rebuilt from the quote alone."""
    if quote.kind == ChangeKind.INCREASE:
        return IncreaseQuantity(
            subscription_id=quote.subscription_id, running_no=quote.running_no, add_quantity=quote.vendor_quantity
        )
    if quote.kind in UPDATE_TERMS:
        return _update_item(
            quote.kind,
            subscription_id=quote.subscription_id,
            running_no=quote.running_no,
            product_id=quote.new_product_id,
            total_quantity=quote.vendor_quantity,
        )
    if quote.kind == ChangeKind.REMOVE_ADDON:
        return DeactivateItems(subscription_id=quote.subscription_id, running_nos=(quote.running_no,))
    if quote.kind == ChangeKind.REACTIVATE:
        return ReinstateItems(subscription_id=quote.subscription_id, running_nos=(quote.running_no,))
    if quote.kind in RENEWAL_KINDS:
        return SetRenewalType(subscription_id=quote.subscription_id, renewal_type=quote.renewal_type_after)
    return AddItem(
        subscription_id=quote.subscription_id, product_id=quote.new_product_id, quantity=quote.vendor_quantity
    )


def _intended_change(subscription: Subscription, quote: Quote) -> Change:
    """The same intent as `quote` against the subscription as it is now.

    A co-term total follows the offer; a plan switch and an undo keep the item's seats as they are now (so a
    changed seat count asks for consent again rather than being sent as agreed).
    """
    if quote.kind in (ChangeKind.COTERM, ChangeKind.SWITCH_NOW, ChangeKind.SWITCH_LATER):
        return change_build(
            subscription=subscription,
            kind=quote.kind,
            running_no=quote.running_no,
            product_id=quote.new_product_id,
        )
    if quote.kind == ChangeKind.UNDO:
        return change_build(subscription=subscription, kind=quote.kind, running_no=quote.running_no)
    return _change_of(quote)


def _in_flight(subscription_id: int, target: str) -> Quote | None:
    return (
        Quote.objects.filter(
            subscription_id=subscription_id,
            target=target,
            state__in=IN_FLIGHT_STATES,
        )
        .order_by("-created_at")
        .first()
    )


# --- Quotes -----------------------------------------------------------------------------------


def quote_create(
    *,
    customer: Customer,
    subscription: Subscription,
    change: Change,
    ip: str | None,
    user_agent: str,
    staff_user=None,
    valid_minutes: int | None = None,
    details: dict[str, str] | None = None,
) -> Quote:
    """Check the change, price it (the vendor's preview; nothing changes there) and store the quote.

    `staff_user` is the support agent preparing it for the customer (see `subscriptions.assisted`), whose
    e-mailed link needs a longer `valid_minutes`; the commit re-prices, so a stale price is never charged.
    `details` carries a cancellation's `reason_code` (one of CancelReason, or empty) and `reason_text`.
    The changes the vendor cannot preview are priced from its own figures in the fresh read.
    Raises ChangeNotAllowed, or CleverbridgeError when the vendor cannot give a price (then nothing is stored).
    """
    if subscription.customer_id != customer.vendor_id:
        raise NotYours
    plan = _plan(subscription, change)
    reason = _reason(plan, details)
    if _in_flight(subscription.id, plan.target) is not None:
        raise ChangeNotAllowed(
            _("We are still confirming an earlier change to this item. Please wait until it is resolved.")
        )
    vendor_quote = _price(get_client(), subscription, plan, change)
    with transaction.atomic():
        quote = _store_quote(
            customer=customer,
            subscription=subscription,
            plan=plan,
            change=change,
            vendor_quote=vendor_quote,
            valid_minutes=valid_minutes,
            reason=reason,
        )
        ledger.record(
            action="change.quoted",
            quote=quote,
            customer=customer,
            staff_user=staff_user,
            ip=ip,
            data={
                **ledger.quote_data(quote),
                **_priced_by(change),
                "user_agent": user_agent[:USER_AGENT_MAX],
                "vendor": ledger.exchange_data(vendor_quote.exchange),
            },
        )
    return quote


def _priced_by(change: Change) -> dict[str, str]:
    return {} if change.priced else {"priced_by": PRICED_BY_READ}


def _reason(plan: _Plan, details: dict[str, str] | None) -> dict[str, str]:
    """A cancellation's reason, checked; other kinds keep none."""
    if plan.kind != ChangeKind.CANCEL or not details:
        return {"reason_code": "", "reason_text": ""}
    code = (details.get("reason_code") or "").strip()
    text = (details.get("reason_text") or "").strip()
    if code and code not in CancelReason.values:
        raise ChangeNotAllowed(_("Choose one of the reasons listed."))
    if len(text) > REASON_TEXT_MAX:
        raise ChangeNotAllowed(_("Please say why in at most %(max)d characters.") % {"max": REASON_TEXT_MAX})
    return {"reason_code": code, "reason_text": text}


def _store_quote(
    *,
    customer: Customer,
    subscription: Subscription,
    plan: _Plan,
    change: Change,
    vendor_quote: VendorQuote,
    valid_minutes: int | None = None,
    reason: dict[str, str] | None = None,
) -> Quote:
    now = timezone.now()
    minutes = settings.QUOTE_VALID_MINUTES if valid_minutes is None else valid_minutes
    payment = subscription.payment
    return Quote.objects.create(
        customer=customer,
        subscription_id=subscription.id,
        kind=plan.kind,
        running_no=plan.running_no,
        target=plan.target,
        product_id=plan.product_id,
        new_product_id=plan.new_product_id,
        product_name=plan.product_name,
        quantity_before=plan.quantity_before,
        quantity_after=plan.quantity_after,
        vendor_quantity=plan.vendor_quantity,
        new_product_name=plan.new_product_name,
        effective_at=plan.effective_at,
        renewal_type_after=plan.renewal_type_after,
        **(reason or {}),
        preview_request=change.request_body(preview=True) if change.priced else vendor_quote.exchange.request_body,
        commit_request=change.request_body(preview=False),
        preview_response=vendor_quote.exchange.response_text,
        currency=vendor_quote.currency,
        charge_now_gross=vendor_quote.charge_now.gross,
        charge_now_net=vendor_quote.charge_now.net,
        charge_now_vat=vendor_quote.charge_now.vat,
        next_billing_gross=vendor_quote.next_billing.gross,
        next_billing_net=vendor_quote.next_billing.net,
        next_billing_vat=vendor_quote.next_billing.vat,
        next_renewal_gross=vendor_quote.next_renewal.gross,
        next_renewal_net=vendor_quote.next_renewal.net,
        next_renewal_vat=vendor_quote.next_renewal.vat,
        remaining_from=now,
        next_billing_date=subscription.next_billing_date,
        interval_months=subscription.interval_months,
        interval_days=subscription.interval_days,
        payment_type=payment.type if payment else "",
        payment_type_id=payment.type_id if payment else "",
        payment_last_four=payment.last_four if payment else "",
        created_at=now,
        state_changed_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )


# --- Commit -----------------------------------------------------------------------------------


def quote_commit(
    *,
    customer: Customer,
    quote_id: uuid.UUID | str,
    consent_given: bool,
    ip: str | None,
    user_agent: str,
) -> CommitOutcome:
    """Record the consent, re-check the price, and send the change to the vendor at most once.

    Raises NotFound for a quote that is not the customer's, CommitRefused when nothing may happen
    (no consent, expired, already used, same change in flight). Otherwise returns the outcome.
    """
    language = translation.get_language() or settings.LANGUAGE_CODE
    user_agent = (user_agent or "")[:USER_AGENT_MAX]

    # 1. Consent, in its own transaction, committed before the vendor hears anything.
    with transaction.atomic():
        quote = Quote.objects.select_for_update().filter(public_id=quote_id, customer=customer).first()
        if quote is None:
            raise NotFound
        if quote.state != QuoteState.QUOTED:
            raise CommitRefused("used", _("This quote has already been used. Start the change again for a new quote."))
        if quote.is_expired():
            raise CommitRefused("expired", _("This quote has expired. Start the change again for a current price."))
        if not consent_given:
            raise CommitRefused("consent_missing", _("Please tick the box to agree before confirming."))
        text = consent_text(quote, language=language)
        try:
            with transaction.atomic():
                taken = states.quote_move(
                    quote=quote,
                    to=QuoteState.COMMITTING,
                    expect=[QuoteState.QUOTED],
                    action="change.consented",
                    customer=customer,
                    ip=ip,
                    data={
                        "consent_text": text,
                        "consent_text_version": CONSENT_TEXT_VERSION,
                        "language": language,
                        "user_agent": user_agent,
                    },
                )
                if taken is None:
                    raise CommitRefused("used", _("This quote has already been used."))
                Consent.objects.create(
                    quote=quote,
                    customer=customer,
                    ip=ip or None,
                    user_agent=user_agent,
                    text=text,
                    text_version=CONSENT_TEXT_VERSION,
                    language=language,
                )
        except IntegrityError:
            if Consent.objects.filter(quote=quote).exists():
                raise CommitRefused("used", _("This quote has already been used.")) from None
            raise CommitRefused(
                "in_flight",
                _("We are still confirming an earlier change to this item. Please wait until it is resolved."),
            ) from None
        quote = taken

    return _check_and_send(get_client(), quote=quote, customer=customer, ip=ip)


def _check_and_send(client: CleverbridgeClient, *, quote: Quote, customer: Customer, ip: str | None) -> CommitOutcome:
    """Steps 2 and 3 of quote_commit, on one vendor client: the fresh price check, then the single commit."""
    context = {"customer": customer, "ip": ip}

    # 2. A fresh read and a fresh price from the vendor: never charge more than what was agreed.
    try:
        subscription = reads.subscription_fresh(subscription_id=quote.subscription_id)
        if subscription.customer_id != customer.vendor_id:
            raise ChangeNotAllowed(_("This subscription is not yours."))
        change = _intended_change(subscription, quote)
        plan = _plan(subscription, change)
        fresh = _price(client, subscription, plan, change)
    except ChangeNotAllowed as exc:
        return CommitOutcome(_finish(quote, QuoteState.REJECTED, message=exc.message, reason="not_allowed", **context))
    except Rejected as exc:
        return CommitOutcome(
            _finish(quote, QuoteState.REJECTED, message=exc.message, reason="preview_rejected", error=exc, **context)
        )
    except Unavailable as exc:
        return CommitOutcome(
            _finish(
                quote,
                QuoteState.NOT_SENT,
                message=_("We could not reach the billing provider to confirm the price. Nothing was charged."),
                reason="preview_unavailable",
                error=exc,
                **context,
            )
        )
    except Exception as exc:
        # Nothing has been sent yet, so the quote must not stay in flight and block the item.
        _finish(quote, QuoteState.NOT_SENT, message=str(exc), reason="failed_before_sending", **context)
        raise

    reasons = _reconsent_reasons(quote, subscription, plan, change, fresh)
    if reasons:
        return _reconsent(
            quote, subscription=subscription, plan=plan, change=change, fresh=fresh, reasons=reasons, **context
        )

    # 3. Send the commit once. Whatever happens is recorded; nothing is ever re-sent.
    sent = states.quote_mark(
        quote=quote,
        expect=[QuoteState.COMMITTING],
        check=_unsent,
        action="change.commit_sent",
        customer=customer,
        ip=ip,
        fields={"commit_sent_at": timezone.now(), "sent_charge_now_gross": fresh.charge_now.gross},
        data={"request": change.request_body(preview=False), "fresh_preview": _prices_data(fresh)},
    )
    if sent is None:
        # The reconciler took this quote for a dead process (not_sent frees the item): never send it now.
        current = Quote.objects.get(pk=quote.pk)
        logger.error("quote %s left committing before its commit was sent (now %s)", current.public_id, current.state)
        return CommitOutcome(current)
    quote.commit_sent_at = sent.commit_sent_at
    try:
        return _send(client, quote=quote, change=change, **context)
    finally:
        # Whatever the answer, the vendor may have changed the subscription: the next page reads it again.
        reads.invalidate(quote.subscription_id, customer_vendor_id=customer.vendor_id)


def _send(
    client: CleverbridgeClient, *, quote: Quote, change: Change, customer: Customer, ip: str | None
) -> CommitOutcome:
    """Send the commit once and record its outcome."""
    context = {"customer": customer, "ip": ip}
    try:
        if change.priced:
            result, exchange = client.commit(change), None
        else:
            result, exchange = None, client.apply(change)
    except Rejected as exc:
        return CommitOutcome(_verify_after_error(client, quote, error=exc, message=exc.message, **context))
    except OutcomeUnknown as exc:
        unknown = _finish(
            quote, QuoteState.OUTCOME_UNKNOWN, message=exc.message, reason="outcome_unknown", error=exc, **context
        )
        _after_sending(unknown)
        return CommitOutcome(unknown)
    except Unavailable as exc:
        if _answered(exc):
            message = _("The billing provider was too busy to take the change.")
            return CommitOutcome(_verify_after_error(client, quote, error=exc, message=message, **context))
        return CommitOutcome(
            _finish(
                quote,
                QuoteState.NOT_SENT,
                message=_(
                    "The billing provider could not be reached, so the change was not sent. Nothing was charged."
                ),
                reason="not_sent",
                error=exc,
                **context,
            )
        )
    except Exception as exc:
        logger.exception("commit of quote %s failed after sending", quote.public_id)
        _after_sending(
            _finish(quote, QuoteState.OUTCOME_UNKNOWN, message=str(exc), reason="outcome_unknown", **context)
        )
        raise
    committed = _finish(quote, QuoteState.COMMITTED, reason="committed", result=result, exchange=exchange, **context)
    _after_sending(committed)
    return CommitOutcome(committed)


def _answered(error: Unavailable) -> bool:
    """The vendor answered (a status came back, e.g. 429), so the request reached it; without one nothing left us."""
    return error.status is not None


def _verify_after_error(
    client: CleverbridgeClient,
    quote: Quote,
    *,
    error: CleverbridgeError,
    message: str,
    customer: Customer,
    ip: str | None,
) -> Quote:
    """The vendor answered the sent commit with an error: read the subscription before telling the customer.

    A gateway or the vendor may apply a change and still answer 4xx or 429, so the answer alone never decides
    "nothing was charged". The change is there → committed and flagged (`change.charged_after_error`); the item
    as before → rejected, and watched for a while in case it is applied late; anything else → outcome unknown.
    """
    context = {"customer": customer, "ip": ip}
    subscription = None
    read_error = None
    try:
        subscription = reads.subscription_fresh(subscription_id=quote.subscription_id)
    except CleverbridgeError as exc:
        applied, running_no, read_error = Applied.UNCLEAR, None, str(exc)
    else:
        if subscription.customer_id != customer.vendor_id:
            applied, running_no, read_error = Applied.UNCLEAR, None, "the subscription now belongs to another customer"
        else:
            applied, running_no = change_applied(quote, subscription)
    facts = {"subscription": subscription_facts(subscription, applied, running_no), "read_error": read_error}

    if applied == Applied.YES:
        with transaction.atomic():
            committed = _finish(
                quote,
                QuoteState.COMMITTED,
                message=message,
                reason="applied_despite_error",
                error=error,
                facts=facts,
                fields={"result_running_no": running_no},
                **context,
            )
            if committed.state == QuoteState.COMMITTED:
                logger.error("quote %s was applied although the vendor answered %s", quote.public_id, error)
                committed = (
                    charged_after_error_flag(
                        quote=committed,
                        error=_answer_data(reason="applied_despite_error", message=message, error=error, result=None),
                        facts=facts,
                    )
                    or committed
                )
        _after_sending(committed)
        return committed
    if applied == Applied.NO:
        refused = _finish(
            quote, QuoteState.REJECTED, message=message, reason="refused_verified", error=error, facts=facts, **context
        )
        _after_sending(refused)
        return refused
    unknown = _finish(
        quote,
        QuoteState.OUTCOME_UNKNOWN,
        message=message,
        reason="unclear_after_error",
        error=error,
        facts=facts,
        **context,
    )
    _after_sending(unknown)
    return unknown


def _after_sending(quote: Quote) -> None:
    """Background follow-up of a sent commit: notifications that arrived early, and reads for an unknown outcome
    or for a refusal (in case the vendor applies it after all).

    Never lets a queue problem reach the customer: the commit's outcome is already recorded.
    """
    try:
        if quote.state in (QuoteState.OUTCOME_UNKNOWN, QuoteState.REJECTED):
            reconcile_schedule(quote)
        notifications_kick(subscription_id=quote.subscription_id)
    except Exception:
        logger.exception("follow-up of quote %s could not be planned; reconcile_changes will find it", quote.public_id)


def _beyond_consent(quote: Quote, prices: VendorQuote) -> list[str]:
    """What in the vendor's prices goes past what the customer agreed to: another currency, or a higher amount."""
    reasons = []
    if prices.currency != quote.currency:
        reasons.append("currency")
    if prices.charge_now.gross > quote.charge_now_gross:
        reasons.append("charge_now")
    if prices.next_billing.gross > quote.next_billing_gross or prices.next_renewal.gross > quote.next_renewal_gross:
        reasons.append("recurring")
    return reasons


def _reconsent_reasons(
    quote: Quote, subscription: Subscription, plan: _Plan, change: Change, fresh: VendorQuote
) -> list[str]:
    reasons = _beyond_consent(quote, fresh)
    if subscription.next_billing_date != quote.next_billing_date:
        reasons.append("next_billing_date")
    if plan.quantity_before != quote.quantity_before or plan.quantity_after != quote.quantity_after:
        reasons.append("quantity")
    if change.request_body(preview=False) != quote.commit_request:
        reasons.append("request")
    payment = subscription.payment
    card = (payment.type, payment.type_id, payment.last_four) if payment else ("", "", "")
    if card != (quote.payment_type, quote.payment_type_id, quote.payment_last_four):
        # The consent names the card by type and last four: another card with the same last four is another card.
        reasons.append("payment_method")
    return reasons


def _reconsent(
    quote: Quote,
    *,
    subscription: Subscription,
    plan: _Plan,
    change: Change,
    fresh: VendorQuote,
    reasons: list[str],
    customer: Customer,
    ip: str | None,
) -> CommitOutcome:
    """Nothing is sent: the old quote is superseded by a new one that needs fresh consent."""
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        if locked.state != QuoteState.COMMITTING:
            # The reconciler took this quote for a dead process meanwhile; its state stands.
            logger.error("quote %s left committing before its re-consent (now %s)", locked.public_id, locked.state)
            return CommitOutcome(locked)
        new_quote = _store_quote(
            customer=customer,
            subscription=subscription,
            plan=plan,
            change=change,
            vendor_quote=fresh,
            reason={"reason_code": locked.reason_code, "reason_text": locked.reason_text},
        )
        superseded = states.quote_move(
            quote=locked,
            to=QuoteState.SUPERSEDED,
            expect=[QuoteState.COMMITTING],
            action="change.reconsent_required",
            customer=customer,
            ip=ip,
            fields={
                "superseded_by": new_quote,
                "vendor_message": _("The price or terms changed since you agreed. Please review the new quote."),
            },
            data={
                "reasons": reasons,
                "new_quote": str(new_quote.public_id),
                "fresh_preview": _prices_data(fresh),
                "vendor": ledger.exchange_data(fresh.exchange),
            },
        )
        ledger.record(
            action="change.quoted",
            quote=new_quote,
            customer=customer,
            ip=ip,
            data={
                **ledger.quote_data(new_quote),
                "replaces": str(superseded.public_id),
                "vendor": ledger.exchange_data(fresh.exchange),
            },
        )
    return CommitOutcome(superseded, reconsent_quote=new_quote)


ANSWERED_FROM = (QuoteState.COMMITTING, QuoteState.OUTCOME_UNKNOWN)
"""The states a commit's answer may settle; a quote the reconciler settled otherwise keeps its state."""

FINISH_ACTIONS = {
    QuoteState.COMMITTED: "change.committed",
    QuoteState.REJECTED: "change.rejected",
    QuoteState.NOT_SENT: "change.not_sent",
    QuoteState.OUTCOME_UNKNOWN: "change.outcome_unknown",
}


def _finish(
    quote: Quote,
    state: str,
    *,
    customer: Customer,
    ip: str | None,
    reason: str,
    message: str = "",
    error: CleverbridgeError | None = None,
    result: VendorQuote | None = None,
    exchange: Exchange | None = None,
    facts: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
) -> Quote:
    """Record where a committing quote ended, with its ledger entry, in one transaction.

    Lock, check, write: only a quote still `committing` (or `outcome_unknown`, which the reconciler makes of a
    commit it took for stuck, and which a definite answer resolves) takes the outcome. If the reconciler already
    moved it on (failed, not_sent, paid, ...), its state stands and the late answer is recorded beside it.
    """
    now = timezone.now()
    fields = {**(fields or {}), "vendor_message": message}
    if result is not None:
        fields.update(
            confirmed_at=now,
            confirmed_charge_now_gross=result.charge_now.gross,
            confirmed_charge_now_net=result.charge_now.net,
            confirmed_charge_now_vat=result.charge_now.vat,
            confirmed_next_billing_gross=result.next_billing.gross,
            confirmed_next_billing_net=result.next_billing.net,
            confirmed_next_billing_vat=result.next_billing.vat,
        )
    with transaction.atomic():
        moved = states.quote_move(
            quote=quote,
            to=state,
            expect=[source for source in ANSWERED_FROM if state in states.QUOTE_MOVES[source]],
            action=FINISH_ACTIONS[state],
            customer=customer,
            ip=ip,
            fields=fields,
            data={
                **_answer_data(reason=reason, message=message, error=error, result=result, exchange=exchange),
                **(facts or {}),
            },
            now=now,
        )
        if moved is None:
            locked = Quote.objects.select_for_update().get(pk=quote.pk)
            _late_answer(
                locked, state, customer=customer, ip=ip, reason=reason, message=message, error=error, result=result
            )
            return locked
        if result is not None:
            moved = _check_consented(moved, result, customer=customer, ip=ip)
    return moved


def _unsent(quote: Quote) -> bool:
    return quote.commit_sent_at is None


def _check_consented(locked: Quote, result: VendorQuote, *, customer: Customer, ip: str | None) -> Quote:
    """The vendor confirmed a higher charge (or recurring amount, or another currency) than was agreed: support looks.

    The receipt shows what the vendor confirmed; this makes sure someone acts on the difference.
    """
    reasons = _beyond_consent(locked, result)
    if not reasons:
        return locked
    logger.error("quote %s: the vendor confirmed more than was agreed (%s)", locked.public_id, ", ".join(reasons))
    consented = {"currency": locked.currency}
    for name in ("charge_now", "next_billing", "next_renewal"):
        consented[f"{name}_gross"] = ledger.amount_text(getattr(locked, f"{name}_gross"), locked.currency)
    return states.quote_mark(
        quote=locked,
        expect=[locked.state],
        action="change.charged_above_consent",
        customer=customer,
        ip=ip,
        fields=_flag(locked),
        data={"reasons": reasons, "consented": consented, "confirmed": _prices_data(result)},
    )


def _flag(quote: Quote) -> dict[str, Any]:
    return states.support_flag(quote)


def _late_answer(
    locked: Quote,
    outcome: str,
    *,
    customer: Customer,
    ip: str | None,
    reason: str,
    message: str,
    error: CleverbridgeError | None,
    result: VendorQuote | None,
) -> None:
    """The answer came after the reconciler settled the quote: keep its state, record the answer beside it.

    When the two disagree (recorded as not applied, yet the vendor says it applied or may have), support looks.
    """
    agrees = (
        outcome in (QuoteState.COMMITTED, QuoteState.OUTCOME_UNKNOWN)
        and locked.state in (QuoteState.COMMITTED, QuoteState.PAID)
    ) or (
        outcome in (QuoteState.REJECTED, QuoteState.NOT_SENT)
        and locked.state in (QuoteState.FAILED, QuoteState.NOT_SENT, QuoteState.REJECTED)
    )
    logger.error(
        "quote %s answered %s after it was settled as %s%s",
        locked.public_id,
        outcome,
        locked.state,
        "" if agrees else "; flagged for support",
    )
    marked = states.quote_mark(
        quote=locked,
        expect=[locked.state],
        action="change.late_answer",
        customer=customer,
        ip=ip,
        fields={} if agrees else _flag(locked),
        data={
            **_answer_data(reason=reason, message=message, error=error, result=result),
            "answer": outcome,
            "flagged_for_support": not agrees,
        },
    )
    if result is not None:
        _check_consented(marked, result, customer=customer, ip=ip)


def _answer_data(
    *,
    reason: str,
    message: str,
    error: CleverbridgeError | None,
    result: VendorQuote | None,
    exchange: Exchange | None = None,
) -> dict[str, Any]:
    """What the ledger keeps of how a commit ended: our reason, the vendor's exchange, its error or prices."""
    if exchange is None:
        exchange = result.exchange if result is not None else getattr(error, "exchange", None)
    data = {"reason": reason, "message": message, "vendor": ledger.exchange_data(exchange)}
    if error is not None:
        data["error"] = {"type": type(error).__name__, "status": error.status, "message": error.message}
    if result is not None:
        data["confirmed"] = _prices_data(result)
    return data


def _prices_data(vendor_quote: VendorQuote) -> dict[str, str | None]:
    currency = vendor_quote.currency
    data: dict[str, str | None] = {"currency": currency}
    for name in ("charge_now", "next_billing", "next_renewal"):
        prices = getattr(vendor_quote, name)
        for part in ("gross", "net", "vat"):
            data[f"{name}_{part}"] = ledger.amount_text(getattr(prices, part), currency)
    return data
