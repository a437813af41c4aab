"""Who is signed in, and the one way a view gets at a subscription or a quote.

A session is bound to one local `Customer` (and through it to one vendor CustomerId).
Every subscription named in a URL is loaded with `load_subscription`, every quote with
`load_quote`; both answer 404 alike for ids that do not exist and for other customers'.
A service that finds the same (`subscriptions.errors.NotFound`) becomes the same 404 in
`customer_required`.
"""

from __future__ import annotations

import functools
import uuid
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from subscriptions.cleverbridge import Rejected, Subscription, get_client
from subscriptions.errors import NotFound
from subscriptions.failures import vendor_failure_page
from subscriptions.models import Customer, Quote

CUSTOMER_SESSION_KEY = "customer_pk"

__all__ = [
    "CUSTOMER_SESSION_KEY",
    "customer_required",
    "customer_subscriptions",
    "load_quote",
    "load_subscription",
    "sign_in",
    "sign_out",
    "signed_in_customer",
]


def sign_in(request: HttpRequest, customer: Customer) -> None:
    """Bind the session to `customer`, under a new session id (no fixation)."""
    if request.session.get(CUSTOMER_SESSION_KEY) not in (None, customer.pk):
        request.session.flush()
    else:
        request.session.cycle_key()
    request.session[CUSTOMER_SESSION_KEY] = customer.pk
    customer.last_sign_in_at = timezone.now()
    customer.save(update_fields=["last_sign_in_at"])
    request.customer = customer


def sign_out(request: HttpRequest) -> None:
    """End the session on the server, not only in the browser."""
    request.session.flush()
    request.customer = None


def signed_in_customer(request: HttpRequest) -> Customer | None:
    pk = request.session.get(CUSTOMER_SESSION_KEY)
    if pk is None:
        return None
    cached = getattr(request, "customer", None)
    if isinstance(cached, Customer) and cached.pk == pk:
        return cached
    return Customer.objects.filter(pk=pk).first()


def customer_required(view):
    """Let signed-in customers through (as `request.customer`); send others to sign in and back.

    Vendor failures raised by the view become the friendly 503 page (`subscriptions.failures`); a service's
    `NotFound` becomes a 404, as for an id that does not exist.
    """
    guarded = vendor_failure_page(view)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        customer = signed_in_customer(request)
        if customer is None:
            target = request.get_full_path() if request.method == "GET" else _page_url(request)
            url = f"{reverse('subscriptions:sign_in')}?{urlencode({'next': target})}"
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(url)
            return HttpResponseRedirect(url)
        request.customer = customer
        try:
            return guarded(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None

    return wrapper


def _page_url(request: HttpRequest) -> str:
    """Where to come back to after signing in from a POST or htmx request: the page, not the action."""
    current = getattr(getattr(request, "htmx", None), "current_url_abs_path", None)
    return current or reverse("subscriptions:home")


def load_subscription(request: HttpRequest, subscription_id: int, *, fresh: bool = False) -> Subscription:
    """The signed-in customer's subscription `subscription_id`, or 404.

    Unknown and foreign ids look the same. Other vendor failures propagate as `CleverbridgeError`.
    Within one request the subscription is fetched once unless `fresh` is asked for.
    """
    customer = getattr(request, "customer", None) or signed_in_customer(request)
    if customer is None:
        raise Http404
    loaded: dict = request.__dict__.setdefault("_loaded_subscriptions", {})
    if fresh or subscription_id not in loaded:
        try:
            loaded[subscription_id] = get_client().get_subscription(subscription_id)
        except Rejected as exc:
            if exc.status == 404:
                raise Http404 from None
            raise
    subscription = loaded[subscription_id]
    if subscription.customer_id != customer.vendor_id:
        raise Http404
    return subscription


def load_quote(request: HttpRequest, quote_id: uuid.UUID | str) -> Quote:
    """The signed-in customer's quote `quote_id`, or 404 (a foreign quote looks like an unknown one)."""
    customer = getattr(request, "customer", None) or signed_in_customer(request)
    quote = Quote.objects.filter(public_id=quote_id, customer=customer).first() if customer else None
    if quote is None:
        raise Http404
    return quote


def customer_subscriptions(customer: Customer) -> list[Subscription]:
    """Every subscription the vendor lists for `customer` (none when the vendor does not know them)."""
    try:
        found = get_client().get_subscriptions_for_customer(customer_id=customer.vendor_id)
    except Rejected as exc:
        if exc.status == 404:
            return []
        raise
    return [subscription for subscription in found if subscription.customer_id == customer.vendor_id]
