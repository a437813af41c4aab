"""The signed-in customer's pages: the list of subscriptions and one subscription.

Both come from the shared vendor cache (`subscriptions.reads`): at most one vendor call a view. When the vendor may
not be called they show the last known state, saying as of when, and offer no change until it can be called again.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from subscriptions import access, catalog, reads


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


@access.customer_required
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    read = access.load_subscription_page(request, subscription_id)
    subscription = read.value
    payment = subscription.payment
    payment_expires_first = bool(
        payment and subscription.next_billing_date and payment.expires_before(subscription.next_billing_date)
    )
    return render(
        request,
        "subscriptions/detail.html",
        {
            "subscription": subscription,
            "payment": payment,
            "payment_expires_first": payment_expires_first,
            "self_service_url": vendor_page_url(subscription),
            "offers": catalog.offers_for(subscription) if read.fresh else [],
            "stale": not read.fresh,
            "as_of": read.fetched_at,
        },
    )
