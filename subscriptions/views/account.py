"""Sign-in by e-mailed link, sign-in by portal link, sign-out."""

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from subscriptions import access, signin, throttles
from subscriptions.failures import vendor_failure_page
from subscriptions.models import SignInLink
from subscriptions.models.customers import token_hash


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


def _safe_next(request: HttpRequest, url: str | None) -> str:
    allowed = {request.get_host()}
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=allowed, require_https=request.is_secure()):
        return url
    return ""


@require_http_methods(["GET", "POST"])
@vendor_failure_page
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a link. The answer is the same whether or not the vendor knows the address, or has had its share of
    links; only an IP over its limit is told to wait (429), before anything is looked up."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        verdict = throttles.throttle_hit(limit=throttles.sign_in_ip_limit(), subject=throttles.client_ip(request))
        if not verdict.allowed:
            response = render(
                request, "account/too_many_attempts.html", {"minutes": verdict.retry_after_minutes}, status=429
            )
            response["Retry-After"] = str(verdict.retry_after)
            return response
        form = SignInForm(request.POST)
        if form.is_valid():
            signin.sign_in_email_send(email=form.cleaned_data["email"], next_url=next_url)
            return render(
                request,
                "account/sign_in.html",
                {"sent": True, "email": form.cleaned_data["email"], "minutes": settings.SIGN_IN_LINK_MINUTES},
            )
    else:
        form = SignInForm()
    return render(request, "account/sign_in.html", {"form": form, "next": next_url})


@require_http_methods(["GET", "POST"])
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST uses the link: mail scanners that follow links must not use it up."""
    if request.method == "GET":
        link = SignInLink.objects.filter(token_hash=token_hash(token), kind=SignInLink.Kind.EMAIL).first()
        problem = _problem(link)
        if problem:
            return _link_problem(request, problem)
        return render(request, "account/sign_in_confirm.html", {"token": token})
    link, outcome = SignInLink.consume(token, kind=SignInLink.Kind.EMAIL)
    if outcome != "ok":
        return _link_problem(request, outcome)
    customer = signin.customer_for_link(link, locale=request.LANGUAGE_CODE)
    access.sign_in(request, customer)
    return redirect(link.next_url or reverse("subscriptions:home"))


@require_GET
def portal_link(request: HttpRequest, token: str) -> HttpResponse:
    """The vendor's product sent the customer here; the link signs them in at once (it is never e-mailed)."""
    link, outcome = SignInLink.consume(token, kind=SignInLink.Kind.PORTAL)
    if outcome != "ok":
        return _link_problem(request, outcome, portal=True)
    customer = signin.customer_for_link(link, locale=request.LANGUAGE_CODE)
    access.sign_in(request, customer)
    if link.return_url and signin.portal_return_url_allowed(link.return_url):
        name = link.portal_key.name if link.portal_key else ""
        request.session["portal_return"] = {"url": link.return_url, "name": name}
    return redirect("subscriptions:home")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    access.sign_out(request)
    return render(request, "account/signed_out.html")


def _problem(link: SignInLink | None) -> str:
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    if link.is_expired():
        return "expired"
    return ""


def _link_problem(request: HttpRequest, problem: str, *, portal: bool = False) -> HttpResponse:
    """A used, expired or unknown link says so and offers a new one (status 410 Gone or 404)."""
    status = 404 if problem == "unknown" else 410
    return render(
        request,
        "account/link_problem.html",
        {"problem": problem, "portal": portal, "form": SignInForm()},
        status=status,
    )
