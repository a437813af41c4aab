"""In the demo, every customer page says that billing runs on the sandbox's test clock, and where it stands.

The demo's receipts mix today's dates (when you agreed) with the test clock's (billing dates); the banner says why.
The clock is read from the sandbox's control API over HTTP (the product never imports the sandbox), cached briefly,
and a clock that cannot be read never breaks a page: there is just no banner.
"""

import pytest
from django.core.cache import cache

from tests.web.test_pages import text

pytestmark = pytest.mark.django_db

BANNER = "Demo: billing runs on a test clock set to 24 April 2026, 16:01 UTC."


@pytest.fixture
def demo(settings):
    settings.DEMO_CLOCK_BANNER = True


def test_every_customer_page_names_the_test_clock(anna_client, vendor, demo):
    for url in ("/", "/subscriptions/68574751/", "/changes/"):
        assert BANNER in text(anna_client.get(url)), url
    assert "Demo: Die Abrechnung läuft auf einer Testuhr, die auf 24. April 2026, 16:01 UTC steht." in text(
        anna_client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    )
    assert BANNER in text(anna_client.get("/sign-in/"))


def test_the_clock_is_read_once_and_kept_briefly(anna_client, vendor, demo, vendor_calls):
    anna_client.get("/")
    anna_client.get("/changes/")
    assert vendor_calls.methods().count("clock") == 1


def test_a_clock_at_real_time_shows_no_banner(anna_client, vendor, demo):
    vendor.client.post(
        "/sandbox/control/clock", {"now": None}, content_type="application/json", HTTP_AUTHORIZATION=_auth()
    )
    cache.clear()
    assert "Demo:" not in text(anna_client.get("/"))


def test_a_clock_that_cannot_be_read_never_breaks_the_page(anna_client, vendor, demo, monkeypatch):
    from subscriptions.cleverbridge import client

    def broken(**kwargs):
        raise RuntimeError("the sandbox is away")

    monkeypatch.setattr(client, "sandbox_clock", broken)
    response = anna_client.get("/sign-in/")
    assert response.status_code == 200 and "Demo:" not in text(response)


def test_no_banner_without_the_sandbox(anna_client, vendor, settings):
    settings.DEMO_CLOCK_BANNER = True
    settings.SANDBOX_ENABLED = False
    assert "Demo:" not in text(anna_client.get("/"))


def _auth() -> str:
    from tests.vendor import SANDBOX_AUTH

    return SANDBOX_AUTH
