"""The demo's test-clock banner in a real browser: read from the sandbox over HTTP, readable, in both languages."""

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import check

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_the_banner_names_the_test_clock_and_passes_axe(app, vendor, anna_page, settings):
    settings.DEMO_CLOCK_BANNER = True
    page = anna_page

    page.goto(f"{app}/")

    expect(page.locator("#demo-banner")).to_have_text(
        "Demo: billing runs on a test clock set to 24 April 2026, 16:01 UTC."
    )
    assert check(page, "list with the demo banner") == []
