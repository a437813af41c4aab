"""Browser tests: Debian's Chromium, driven by Playwright, against the app and its sandbox in a live server.

Every vendor call goes over real HTTP to `live_server.url + "/sandbox/api"`. Without /usr/bin/chromium the
tests are skipped with the reason (CI sets REQUIRE_SUITES=browser, which turns such a skip into a failure).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.core.signals import request_finished, request_started

from subscriptions.access import CUSTOMER_SESSION_KEY
from subscriptions.cleverbridge import client as cleverbridge
from subscriptions.models import Customer
from tests import cast
from tests.vendor import Vendor

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ANNA_EMAIL = cast.ANNA.email
LINK = re.compile(r"https?://\S+/sign-in/[^/\s]+/")

# The cast's customers and vendor data; `vendor` below stands in for the cast's, on the live server's sandbox.
scenario = cast.scenario
anna = cast.anna


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """The system's Chromium, headless; never a downloaded browser."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-US", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def javascript(request) -> bool:
    return request.param


@pytest.fixture
def app(live_server, settings, monkeypatch, transactional_db) -> Iterator[str]:
    """The live server's URL; the product's client reaches the sandbox in it over HTTP, as in production."""
    settings.CLEVERBRIDGE_API_URL = live_server.url + "/sandbox/api"
    settings.SITE_URL = live_server.url
    settings.SANDBOX_RATE_LIMIT_PER_SECOND = 0
    settings.LANGUAGE_CODE = "en"
    monkeypatch.setattr(cleverbridge, "make_transport", cleverbridge.http_transport)
    in_flight = InFlight()
    request_started.connect(in_flight.started, weak=False)
    request_finished.connect(in_flight.finished, weak=False)
    yield live_server.url
    # The browser is closed by now; let the server finish what it was sent before the database is flushed.
    in_flight.wait_idle()
    request_started.disconnect(in_flight.started)
    request_finished.disconnect(in_flight.finished)


class InFlight:
    """Requests the live server is still working on (a cancelled navigation is still processed to its end)."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = threading.Condition()

    def started(self, **kwargs) -> None:
        with self.idle:
            self.count += 1

    def finished(self, **kwargs) -> None:
        with self.idle:
            self.count -= 1
            self.idle.notify_all()

    def wait_idle(self, timeout: float = 10) -> None:
        with self.idle:
            assert self.idle.wait_for(lambda: self.count <= 0, timeout), f"{self.count} request(s) still running"


@pytest.fixture
def vendor(app, scenario) -> Vendor:
    """The cast at the live server's sandbox (clock 2026-04-24T16:01:10Z), the demo catalog here."""
    control = Vendor()
    control.load(scenario, reset=True)
    call_command("loaddata", "demo_catalog", verbosity=0)
    return control


@pytest.fixture
def new_context(app, browser, browser_context_args) -> Iterator[Callable]:
    """`new_context(javascript=True, **options)`: a fresh browser context, closed after the test."""
    contexts = []

    def make(*, javascript: bool = True, **options):
        context = browser.new_context(**{**browser_context_args, **options}, java_script_enabled=javascript)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def session_cookie(app_url: str, customer: Customer) -> dict:
    """A server-side session bound to `customer`, as a cookie for the browser (what a used link leaves)."""
    store = import_module(django_settings.SESSION_ENGINE).SessionStore()
    store[CUSTOMER_SESSION_KEY] = customer.pk
    store.save()
    return {"name": django_settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": app_url}


@pytest.fixture
def anna_page(app, anna, new_context, javascript):
    """Anna, signed in, in a browser with or without JavaScript (the `javascript` parameter)."""
    context = new_context(javascript=javascript)
    context.add_cookies([session_cookie(app, anna)])
    return context.new_page()


def sign_in_by_email(page, app_url: str, email: str = ANNA_EMAIL) -> None:
    """Ask for a link, take it from the e-mail Django sent, open it and press Sign in."""
    page.goto(app_url + "/sign-in/")
    page.get_by_label("E-mail address").fill(email)
    sent = len(mail.outbox)
    page.get_by_role("button", name="Send me a sign-in link").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    assert len(mail.outbox) == sent + 1
    link = LINK.search(mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    page.goto(link.group(0))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My subscriptions").wait_for()
