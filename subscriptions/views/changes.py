"""Pages of the change flows: preview a change, consent and commit, see the outcome, receipt and history.

Each view parses input, calls one service and renders. With htmx the same templates answer with
a named partial; without JavaScript the forms post normally and the views redirect.
Fragments answer htmx with status 200 even for a problem, because htmx does not swap 4xx/5xx.
"""

from __future__ import annotations

import logging

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from subscriptions import formatting, ledger, services
from subscriptions.access import customer_required, load_quote, load_subscription
from subscriptions.catalog import offers_for, retention_offers
from subscriptions.cleverbridge import CleverbridgeError, Unavailable
from subscriptions.forms import CancelForm, ChangeRequestForm, ConsentForm
from subscriptions.models import ChangeKind, Consent, LedgerEntry, Quote, QuoteState
from subscriptions.views.pages import offers_on_page

logger = logging.getLogger(__name__)


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


def _reconsent(quote: Quote) -> dict:
    """For a quote that replaced an agreed one: the banner naming what changed since the customer agreed."""
    if quote.state != QuoteState.QUOTED:
        return {}
    old = Quote.objects.filter(superseded_by=quote).first()
    if old is None:
        return {}
    entry = old.ledger_entries.filter(action="change.reconsent_required").order_by("-id").first()
    reasons = list(entry.data.get("reasons", [])) if entry is not None else []
    heading, sentences = formatting.reconsent_explanation(old, quote, reasons)
    return {"reconsent_from": old, "reconsent_heading": heading, "reconsent_reasons": sentences}


def _sca_note(quote: Quote) -> bool:
    """The bank-confirmation sentence, for a card charged now, unless the customer is known to be outside the EEA.

    The vendor's subscription read carries no country; support records it on the customer where it is known.
    """
    return quote.is_card and quote.charge_expected and formatting.sca_may_apply(quote.customer.country)


def _quote_context(request: HttpRequest, quote: Quote, **extra) -> dict:
    return {
        **_reconsent(quote),
        "sca_note": _sca_note(quote),
        "quote": quote,
        "consent_text": formatting.consent_text(quote),
        "payment_label": formatting.payment_label(quote),
        "interval_phrase": formatting.interval_phrase(quote.interval_months, quote.interval_days),
        "can_commit": quote.state == QuoteState.QUOTED and not quote.is_expired(),
        **extra,
    }


@require_POST
@customer_required
def preview_create(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """Ask the vendor's price for a change and store it as a quote; nothing changes at the vendor."""
    try:
        subscription = load_subscription(request, subscription_id)
    except CleverbridgeError:
        if not request.htmx:
            raise  # the friendly 503 page (subscriptions.failures)
        message = _("We could not reach the billing provider just now. Nothing was changed. Please try again.")
        return render(request, "changes/preview_problem.html#problem", {"message": message})
    form = ChangeRequestForm(request.POST)
    if not form.is_valid():
        if request.POST.get("kind") == ChangeKind.CANCEL and not request.htmx:
            return _cancel_page_again(request, subscription, CancelForm(request.POST))
        problems = [str(error) for errors in form.errors.values() for error in errors]
        return _preview_problem(request, subscription, " ".join(problems), status=400)
    data = form.cleaned_data
    try:
        change = services.change_build(
            subscription=subscription,
            kind=data["kind"],
            running_no=data.get("running_no"),
            quantity=data.get("quantity"),
            product_id=data.get("product_id"),
        )
        quote = services.quote_create(
            customer=request.customer,
            subscription=subscription,
            change=change,
            ip=_ip(request),
            user_agent=_user_agent(request),
            details=form.details,
        )
    except services.ChangeNotAllowed as exc:
        return _preview_problem(request, subscription, exc.message, status=400)
    except CleverbridgeError as exc:
        logger.warning("preview for S%s failed: %s", subscription.id, exc)
        if isinstance(exc, Unavailable):
            message = _(
                "We could not get a price from the billing provider just now. Nothing was changed. "
                "Please try again in a moment."
            )
        else:
            message = _("The billing provider could not price this change: %(reason)s. Nothing was changed.") % {
                "reason": exc.message
            }
        return _preview_problem(request, subscription, message, status=503 if isinstance(exc, Unavailable) else 400)
    if request.htmx:
        return render(request, "changes/quote.html#quote", _quote_context(request, quote))
    return redirect("subscriptions:quote", quote_id=quote.public_id)


def _cancel_page_again(request: HttpRequest, subscription, form: CancelForm) -> HttpResponse:
    """The cancellation page with the reason's errors (without JavaScript; htmx shows them in place)."""
    form.is_valid()
    offers = offers_for(subscription)
    cancel_offer = next((offer for offer in offers if offer.kind == ChangeKind.CANCEL), None)
    context = {
        "subscription": subscription,
        "cancel_offer": cancel_offer,
        "retention_offers": retention_offers(subscription) if cancel_offer else [],
        "form": form,
    }
    return render(request, "changes/cancel.html", context, status=400)


def _preview_problem(request: HttpRequest, subscription, message: str, *, status: int) -> HttpResponse:
    context = {
        "subscription": subscription,
        "message": message,
        **offers_on_page(subscription, offers_for(subscription)),
    }
    if request.htmx:
        return render(request, "changes/preview_problem.html#problem", context)
    return render(request, "changes/preview_problem.html", context, status=status)


def _receipt_again(quote: Quote) -> HttpResponse:
    """A quote the customer agreed to is spent: its page and any late confirm show its receipt, which says so."""
    return redirect(reverse("subscriptions:receipt", args=[quote.public_id]) + "?again=1")


@require_GET
@customer_required
def quote_detail(request: HttpRequest, quote_id) -> HttpResponse:
    quote = load_quote(request, quote_id)
    if Consent.objects.filter(quote=quote).exists():
        return _receipt_again(quote)
    return render(request, "changes/quote.html", _quote_context(request, quote))


@require_POST
@customer_required
def quote_commit(request: HttpRequest, quote_id) -> HttpResponse:
    """Consent and commit. Only the quote id (in the URL) and the consent box are read from the request."""
    form = ConsentForm(request.POST)
    consent_given = form.is_valid() and form.cleaned_data["consent"]
    try:
        outcome = services.quote_commit(
            customer=request.customer,
            quote_id=quote_id,
            consent_given=consent_given,
            ip=_ip(request),
            user_agent=_user_agent(request),
        )
    except services.CommitRefused as exc:
        quote = load_quote(request, quote_id)
        if exc.code == "used" and Consent.objects.filter(quote=quote).exists():
            # Back and resubmit, a second tab, a double click that lost the race: the receipt, never a new purchase.
            if request.htmx:
                return render(request, "changes/receipt.html#outcome", _receipt_context(quote, again=True))
            return render(request, "changes/receipt.html", _receipt_context(quote, again=True), status=409)
        context = _quote_context(request, quote, refusal=exc.message, refusal_code=exc.code)
        if request.htmx:
            return render(request, "changes/quote.html#quote", context)
        status = 400 if exc.code == "consent_missing" else 409
        return render(request, "changes/quote.html", context, status=status)

    if outcome.reconsent_quote is not None:
        new_quote = outcome.reconsent_quote
        if request.htmx:
            return render(request, "changes/quote.html#quote", _quote_context(request, new_quote))
        return redirect("subscriptions:quote", quote_id=new_quote.public_id)

    if request.htmx:
        response = render(request, "changes/receipt.html#outcome", _receipt_context(outcome.quote))
        return _subscription_changed(response, outcome.quote)
    return redirect("subscriptions:receipt", quote_id=outcome.quote.public_id)


SUBSCRIPTION_CHANGED = "subscription-changed"
"""The event the subscription page's sections listen to: they fetch themselves again (the read cache was
invalidated by the commit, so they show the subscription as it is now)."""


def _subscription_changed(response: HttpResponse, quote: Quote) -> HttpResponse:
    if quote.state in (QuoteState.COMMITTED, QuoteState.PAID):
        trigger_client_event(response, SUBSCRIPTION_CHANGED)
    return response


def _receipt_context(quote: Quote, *, again: bool = False) -> dict:
    consent = Consent.objects.filter(quote=quote).first()
    receipt_url = reverse("subscriptions:receipt", args=[quote.public_id])
    again = again and consent is not None
    return {
        "quote": quote,
        "consent": consent,
        "already_confirmed": again,
        "state_phrase": formatting.quote_state_phrase(quote.shown_state),
        "receipt_url": receipt_url + ("?again=1" if again else ""),
        "timeline": [
            (entry.created_at, label)
            for entry in quote.ledger_entries.order_by("created_at", "id")
            if (label := formatting.timeline_label(entry.action))
        ],
        "payment_label": formatting.payment_label(quote),
        "interval_phrase": formatting.interval_phrase(quote.interval_months, quote.interval_days),
        "charge_difference": formatting.charge_difference(quote),
        "sca_note": _sca_note(quote),
    }


@require_GET
@customer_required
def receipt(request: HttpRequest, quote_id) -> HttpResponse:
    """The receipt; htmx polls its outcome fragment while the change is still being confirmed or paid."""
    quote = load_quote(request, quote_id)
    context = _receipt_context(quote, again=request.GET.get("again") == "1")
    if request.htmx:
        response = render(request, "changes/receipt.html#outcome", context)
        # The poll that finds the change settled tells the page around it, as the commit's answer does.
        return _subscription_changed(response, quote) if not quote.awaiting_confirmation else response
    return render(request, "changes/receipt.html", context)


@require_GET
@customer_required
def consent_record_download(request: HttpRequest, quote_id) -> JsonResponse:
    """The customer's own proof of what they agreed to: the ledger's consent entry and its place in the hash chain,
    which `manage.py verify_ledger --consent` (or anyone, from the file alone) can check later."""
    quote = load_quote(request, quote_id)
    try:
        record = ledger.consent_record(quote)
    except LedgerEntry.DoesNotExist:
        raise Http404 from None
    response = JsonResponse(record, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="consent-{quote.public_id}.json"'
    return response


@require_GET
@customer_required
def history(request: HttpRequest) -> HttpResponse:
    """The changes the customer agreed to, with their outcomes, and each open quote once (the newest per item).

    Prices looked at and never agreed to (expired or replaced) are not changes; they stay in the ledger for support.
    """
    agreed_or_open = Q(consent__isnull=False) | Q(state=QuoteState.QUOTED, expires_at__gt=timezone.now())
    quotes = (
        Quote.objects.filter(agreed_or_open, customer=request.customer)
        .select_related("consent")
        .order_by("-created_at", "-id")
    )
    shown, open_targets = [], set()
    for quote in quotes:
        if quote.state == QuoteState.QUOTED:
            if (quote.subscription_id, quote.target) in open_targets:
                continue
            open_targets.add((quote.subscription_id, quote.target))
        shown.append(quote)
    return render(request, "changes/history.html", {"quotes": shown})
