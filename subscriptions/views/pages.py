"""The signed-in customer's pages: the list of subscriptions and one subscription.

Both come from the shared vendor cache (`subscriptions.reads`): at most one vendor call a view. When the vendor may
not be called they show the last known state, saying as of when, and offer no change until it can be called again.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.timezone import now
from django.utils.translation import gettext as _

from subscriptions import access, catalog, formatting, reads
from subscriptions.models import IN_FLIGHT_STATES, Quote


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
            "ended": subscription.status in formatting.ENDED_STATUSES,
            "status_sentence": "" if subscription.is_active else formatting.status_sentence(subscription.status),
            "offers": offers,
            "no_offers_reason": "" if offers or not read.fresh else _no_offers_reason(subscription),
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
