"""The Content-Security-Policy breaks nothing a customer does, and the browser keeps no page with money in it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.cast import MONTHLY
from tests.e2e.conftest import session_cookie
from tests.e2e.journeys import ask_price, confirm, open_subscription, outcome

pytestmark = pytest.mark.browser


def test_previewing_a_change_with_htmx_violates_no_policy(app, anna, new_context):
    context = new_context(javascript=True)
    context.add_cookies([session_cookie(app, anna)])
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))

    open_subscription(page, app, MONTHLY)
    quote = ask_price(page, "Add seats", seats=15)

    expect(quote).to_contain_text("Cloudify M: 10 → 25 seats")
    assert page.url == f"{app}/subscriptions/{MONTHLY}/", "the quote came by htmx, in place"
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.locator("style").count() == 0, "htmx injected an inline style"
    assert page.locator(".htmx-indicator").first.evaluate("e => getComputedStyle(e).display") == "none"
    assert [line for line in console if "Content Security Policy" in line] == []


def test_back_after_paying_shows_the_receipt_not_the_cached_quote(app, anna, new_context):
    context = new_context(javascript=False)
    context.add_cookies([session_cookie(app, anna)])
    page = context.new_page()
    open_subscription(page, app, MONTHLY)
    ask_price(page, "Add seats", seats=15)
    confirm(page)
    expect(outcome(page)).to_contain_text("You now have 25 seats.")

    page.go_back()

    expect(page.locator("#already-confirmed")).to_contain_text("You already confirmed this change on")
    expect(page.get_by_role("button", name="Confirm and pay")).to_have_count(0)
