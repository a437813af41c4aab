"""Security headers on every customer page: a strict CSP, Permissions-Policy, no-store, HTTPS only in production.

Pages that show money or a form are never kept by the browser: without JavaScript, Back after paying would otherwise
show the cached quote with its box ticked and "Confirm and pay" under it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from selfservice.middleware import NoStoreMiddleware
from subscriptions.models import Quote, SignInLink
from tests.cast import ANNA, sign_in
from tests.changes.flows import HTMX, commit, preview

pytestmark = pytest.mark.django_db

MONTHLY = 68574751
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def _quote(client: Client) -> Quote:
    call_command("loaddata", "demo_catalog", verbosity=0)
    response, quote = preview(client, MONTHLY, kind="increase", running_no=1, quantity=15)
    assert response.status_code == 302, response.content.decode()[:500]
    return quote


def _quote_fragment(client: Client) -> HttpResponse:
    call_command("loaddata", "demo_catalog", verbosity=0)
    return preview(client, MONTHLY, htmx=True, kind="increase", running_no=1, quantity=15)[0]


def _paid(client: Client) -> Quote:
    quote = _quote(client)
    assert commit(client, quote).status_code == 302
    return quote


def _sign_in_link(client: Client) -> HttpResponse:
    _link, raw = SignInLink.issue(kind=SignInLink.Kind.EMAIL, vendor_customer_id=ANNA.vendor_id, minutes=15)
    return client.get(reverse("subscriptions:sign_in_link", args=[raw]))


SIGNED_IN: dict[str, Callable[[Client], HttpResponse]] = {
    "my subscriptions": lambda c: c.get("/"),
    "subscription": lambda c: c.get(reverse("subscriptions:subscription", args=[MONTHLY])),
    "quote": lambda c: c.get(reverse("subscriptions:quote", args=[_quote(c).public_id])),
    "quote fragment": _quote_fragment,
    "receipt": lambda c: c.get(reverse("subscriptions:receipt", args=[_paid(c).public_id])),
    "receipt fragment": lambda c: c.get(reverse("subscriptions:receipt", args=[_paid(c).public_id]), **HTMX),
    "commit fragment": lambda c: commit(c, _quote(c), htmx=True),
    "history": lambda c: c.get(reverse("subscriptions:changes")),
    "signed out": lambda c: c.post(reverse("subscriptions:sign_out")),
}
SIGNED_OUT: dict[str, Callable[[Client], HttpResponse]] = {
    "sign-in": lambda c: c.get(reverse("subscriptions:sign_in")),
    "sign-in sent": lambda c: c.post(reverse("subscriptions:sign_in"), {"email": ANNA.email}),
    "sign-in link (also the assisted consent link)": _sign_in_link,
    "unknown link": lambda c: c.get(reverse("subscriptions:sign_in_link", args=["no-such-token"])),
    "not found": lambda c: c.get("/no-such-page/"),
}


@pytest.fixture(params=[*SIGNED_IN, *SIGNED_OUT])
def customer_page(request, client, anna) -> HttpResponse:
    """Each customer page and fragment, as its visitor gets it."""
    if request.param in SIGNED_IN:
        sign_in(client, anna)
        response = SIGNED_IN[request.param](client)
    else:
        response = SIGNED_OUT[request.param](client)
    assert response["Content-Type"].startswith("text/html"), response["Content-Type"]
    return response


def directives(response: HttpResponse) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


def test_pages_allow_only_their_own_scripts_and_styles(customer_page):
    csp = directives(customer_page)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert "unsafe" not in customer_page["Content-Security-Policy"]


def test_pages_give_up_powerful_browser_features(customer_page):
    assert customer_page["Permissions-Policy"] == PERMISSIONS_POLICY


def test_pages_are_never_stored_by_the_browser(customer_page):
    cache_control = {part.strip() for part in customer_page["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control


def test_pages_switch_off_htmx_features_that_need_inline_code(client):
    html = client.get(reverse("subscriptions:sign_in")).content.decode()
    meta = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", html)
    assert meta, "no htmx-config meta"
    assert json.loads(meta.group(1)) == {"includeIndicatorStyles": False, "allowEval": False}


def test_static_files_keep_their_own_caching(client, settings):
    settings.WHITENOISE_USE_FINDERS = True  # tests have no collected static files
    response = client.get(settings.STATIC_URL + "css/site.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_view_that_sets_its_own_caching_keeps_it():
    def view(request):
        response = HttpResponse("<p>public</p>")
        response["Cache-Control"] = "public, max-age=60"
        return response

    response = NoStoreMiddleware(view)(RequestFactory().get("/"))
    assert response["Cache-Control"] == "public, max-age=60"


def test_only_html_is_marked_no_store():
    response = NoStoreMiddleware(lambda request: HttpResponse(b"{}", content_type="application/json"))(
        RequestFactory().get("/")
    )
    assert "Cache-Control" not in response


def test_production_redirects_plain_http_except_the_health_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    response = client.get(reverse("subscriptions:sign_in"))
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/sign-in/"


def test_production_asks_for_https_for_a_year_on_every_subdomain(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get(reverse("subscriptions:sign_in"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# The guard: nothing in a template may need 'unsafe-inline'.
TEMPLATE_DIRS = [settings.BASE_DIR / "templates", *settings.BASE_DIR.glob("*/templates")]
INLINE = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "inline style": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"""[\s"']style\s*=""", re.I),
    "event handler attribute": re.compile(r"""[\s"']on[a-z]+\s*=""", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "hx-on attribute (needs eval)": re.compile(r"\bhx-on\b", re.I),
    "data: URL": re.compile(r"""(?:src|href)\s*=\s*["']?data:""", re.I),
}


def inline_code(text: str) -> list[str]:
    return [what for what, pattern in INLINE.items() if pattern.search(text)]


def test_no_template_has_inline_script_style_or_handlers():
    found = {
        str(path.relative_to(settings.BASE_DIR)): inline_code(path.read_text())
        for directory in TEMPLATE_DIRS
        for path in Path(directory).rglob("*.html")
    }
    assert len(found) > 20, "the scan found too few templates to be looking in the right place"
    assert {path: what for path, what in found.items() if what} == {}


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="module">import x from "/x.js"</script>',
        "<style>p { color: red }</style>",
        '<table class="x" style="width: 100%">',
        "<p style='color: red'>",
        '<button onclick="go()">',
        '<body onload="go()">',
        '<a href="javascript:go()">',
        '<button hx-on:click="go()">',
        '<link rel="icon" href="data:,">',
    ],
)
def test_the_guard_finds_inline_code(snippet):
    assert inline_code(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/js/site.js" defer></script>',
        "{% htmx_script minified=True %}",
        '<p class="htmx-indicator" data-style="x">Sent on time</p>',
        '<input name="consent" value="yes" hx-indicator="#i">',
        '<img src="/admin/otp_totp/totpdevice/1/qrcode/">',
    ],
)
def test_the_guard_lets_external_code_through(snippet):
    assert inline_code(snippet) == []
