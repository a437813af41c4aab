"""The signed-in customer's pages: the list of subscriptions and one subscription."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from subscriptions import access, catalog


def home(request: HttpRequest) -> HttpResponse:
    if access.signed_in_customer(request) is None:
        return redirect("subscriptions:sign_in")
    return subscription_list(request)


@access.customer_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    """Every subscription of the signed-in customer, newest first."""
    subscriptions = access.customer_subscriptions(request.customer)
    subscriptions.sort(key=lambda s: (not s.is_active, -s.start.timestamp()))
    return render(request, "subscriptions/list.html", {"subscriptions": subscriptions})


@access.customer_required
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = access.load_subscription(request, subscription_id)
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
            "offers": catalog.offers_for(subscription),
        },
    )
