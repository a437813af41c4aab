"""The signed-in customer's pages: the list of subscriptions, one subscription, and its cancellation page.

All come from the shared vendor cache (`subscriptions.reads`): at most one vendor call a view. When the vendor may
not be called they show the last known state, saying as of when, and offer no change until it can be called again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.timezone import now
from django.utils.translation import gettext as _

from subscriptions import access, catalog, formatting, reads
from subscriptions.catalog import Offer
from subscriptions.cleverbridge import Subscription, SubscriptionItem
from subscriptions.forms import CancelForm
from subscriptions.models import IN_FLIGHT_STATES, ChangeKind, Quote

UNDO_KINDS = (ChangeKind.UNDO, ChangeKind.RESUME)
"""Offered only beside what they undo, in the "Scheduled" section."""


def home(request: HttpRequest) -> HttpResponse:
    if access.signed_in_customer(request) is None:
        return redirect("subscriptions:sign_in")
    return subscription_list(request)


@access.customer_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    """Every subscription of the signed-in customer, newest first."""
    read = reads.customer_subscriptions(customer=request.customer)
    subscriptions = sorted(read.value, key=lambda s: (not s.is_active, -s.start.timestamp()))
    return render(
        request,
        "subscriptions/list.html",
        {"subscriptions": subscriptions, "stale": not read.fresh, "as_of": read.fetched_at},
    )


def vendor_page_url(subscription) -> str:
    """The vendor's own page for the card and the invoices (`SelfServiceUrl`), when it is a web address.

    The address comes from the vendor's answer; anything but https (a `javascript:` link, say) is not shown.
    """
    url = subscription.self_service_url or ""
    return url if url.startswith("https://") else ""


@dataclass(frozen=True)
class ScheduledChange:
    """One thing the vendor will do at a later date, and the offer that undoes it (None when none is offered)."""

    kind: str  # "version" (seats or plan from a date), "removal" (an item ends) or "ends" (the subscription ends)
    when: datetime | None
    item: SubscriptionItem | None = None
    current: SubscriptionItem | None = None
    undo: Offer | None = None

    @property
    def running_no(self) -> int | None:
        return self.item.running_no if self.item else None

    @property
    def new_product(self) -> bool:
        return bool(self.item and self.current and self.item.product_id != self.current.product_id)


def _undo_offer(offers: list[Offer], kind: str, running_no: int | None = None) -> Offer | None:
    return next((o for o in offers if o.kind == kind and (running_no is None or o.running_no == running_no)), None)


def scheduled_changes(subscription: Subscription, offers: list[Offer]) -> list[ScheduledChange]:
    """What the subscription's read says will change later: item versions, item removals, the end of it all."""
    if subscription.cancels_at_period_end:
        # It ends on its billing date, so nothing scheduled for that date will take effect: only the end is shown.
        return [ScheduledChange("ends", subscription.ends_on, undo=_undo_offer(offers, ChangeKind.RESUME))]
    entries = []
    for item in subscription.current_items:
        version = subscription.scheduled_item(item.running_no)
        if version is not None:
            entries.append(
                ScheduledChange(
                    "version",
                    version.version_active,
                    item=version,
                    current=item,
                    undo=_undo_offer(offers, ChangeKind.UNDO, item.running_no),
                )
            )
        if item.removal_scheduled:
            entries.append(
                ScheduledChange(
                    "removal",
                    item.deactivation_date,
                    item=item,
                    current=item,
                    undo=_undo_offer(offers, ChangeKind.REACTIVATE, item.running_no),
                )
            )
    return entries


def offers_on_page(subscription: Subscription, offers: list[Offer]) -> dict:
    """The offers split as the page shows them: the change list, the cancellation link, and the Scheduled section.

    An undo, a resume, and a reactivation that only calls off a scheduled removal sit beside what they undo.
    """
    scheduled = scheduled_changes(subscription, offers)
    beside = {id(entry.undo) for entry in scheduled if entry.undo is not None}
    return {
        "offers": [
            offer
            for offer in offers
            if offer.kind not in UNDO_KINDS and offer.kind != ChangeKind.CANCEL and id(offer) not in beside
        ],
        "cancel_offer": next((offer for offer in offers if offer.kind == ChangeKind.CANCEL), None),
        "scheduled": scheduled,
    }


@access.customer_required
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    read = access.load_subscription_page(request, subscription_id)
    subscription = read.value
    payment = subscription.payment
    payment_expired = bool(payment and payment.expires_before(now()))
    payment_expires_first = not payment_expired and bool(
        payment and subscription.next_billing_date and payment.expires_before(subscription.next_billing_date)
    )
    offers = catalog.offers_for(subscription) if read.fresh else []
    return render(
        request,
        "subscriptions/detail.html",
        {
            "subscription": subscription,
            "payment": payment,
            "payment_expired": payment_expired,
            "payment_expires_first": payment_expires_first,
            "self_service_url": vendor_page_url(subscription),
            "interval_phrase": formatting.interval_phrase(subscription.interval_months, subscription.interval_days),
            **offers_on_page(subscription, offers),
            "ended": subscription.status in formatting.ENDED_STATUSES,
            "status_sentence": "" if subscription.is_active else formatting.status_sentence(subscription.status),
            "no_offers_reason": "" if offers or not read.fresh else _no_offers_reason(subscription),
            "stale": not read.fresh,
            "as_of": read.fetched_at,
        },
    )


@access.customer_required
def subscription_cancel(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Before cancelling: the ways to stay that the catalog enables, then the reason, then the usual quote."""
    read = access.load_subscription_page(request, subscription_id)
    subscription = read.value
    offers = catalog.offers_for(subscription) if read.fresh else []
    cancel_offer = next((offer for offer in offers if offer.kind == ChangeKind.CANCEL), None)
    return render(
        request,
        "changes/cancel.html",
        {
            "subscription": subscription,
            "cancel_offer": cancel_offer,
            "retention_offers": catalog.retention_offers(subscription) if cancel_offer else [],
            "form": CancelForm(),
            "stale": not read.fresh,
            "as_of": read.fetched_at,
        },
    )


def _no_offers_reason(subscription) -> str:
    """Why the page offers no change: the customer should never have to guess."""
    if not subscription.is_active:
        return _("This subscription is not active, so it cannot be changed here.")
    if Quote.objects.filter(subscription_id=subscription.id, state__in=IN_FLIGHT_STATES).exists():
        return _("A change to this subscription is being confirmed. Other changes are possible once it is done.")
    return _("Nothing about this product can be changed here.")
