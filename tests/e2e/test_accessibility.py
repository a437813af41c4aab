"""No axe-core violation at WCAG 2.2 AA on any customer page and state; usable at 375 px; keyboard only."""

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from subscriptions import reads
from tests.cast import DEACTIVATED, MONTHLY
from tests.e2e.a11y import check
from tests.e2e.conftest import LINK, session_cookie
from tests.e2e.journeys import ask_price, confirm, open_subscription, outcome

pytestmark = pytest.mark.browser


@pytest.fixture(params=["en-US", "de-DE"], ids=["en", "de"])
def language(request) -> str:
    return request.param


def test_sign_in_pages(app, anna, new_context, language):
    page = new_context(locale=language).new_page()
    problems = []

    page.goto(app + "/sign-in/")
    problems += check(page, "sign-in")
    page.locator("input[type=email]").fill("not an address")
    page.locator("form.stack button").click()
    expect(page.locator(".field-error")).to_be_visible()
    problems += check(page, "sign-in with an error")
    page.locator("input[type=email]").fill(anna.email)
    page.locator("form.stack button").click()
    expect(page.locator("[role=status]")).to_be_visible()
    problems += check(page, "link sent")
    link = LINK.search(mail.outbox[-1].body).group(0)
    page.goto(link)
    problems += check(page, "sign-in confirm")
    page.locator("main form button").click()
    expect(page.locator("table.subscriptions")).to_be_visible()
    page.goto(link)
    problems += check(page, "link already used")
    page.goto(app + "/sign-in/not-a-token/")
    problems += check(page, "link not valid")
    page.goto(app + "/")
    page.locator(".site-nav button").click()
    problems += check(page, "signed out")
    page.goto(app + "/no-such-page/")
    problems += check(page, "404")

    assert problems == []


def test_subscription_pages_and_a_change(app, anna, vendor, new_context, language):
    context = new_context(locale=language)
    context.add_cookies([session_cookie(app, anna)])
    page = context.new_page()
    problems = []

    page.goto(app + "/")
    problems += check(page, "list")
    open_subscription(page, app, MONTHLY)
    problems += check(page, "subscription")
    page.goto(f"{app}/subscriptions/{DEACTIVATED}/")
    problems += check(page, "inactive subscription")
    page.goto(f"{app}/changes/")
    problems += check(page, "empty history")

    open_subscription(page, app, MONTHLY)
    page.locator("li.offer-increase input[type=number]").fill("15")
    page.locator("li.offer-increase button").click()
    expect(page.locator("section.quote")).to_be_visible()
    problems += check(page, "quote in place")
    page.locator("section.quote button").click()
    expect(page.locator("#commit-refusal")).to_be_visible()
    problems += check(page, "confirm without consent")
    page.locator("section.quote input[type=checkbox]").check()
    page.locator("section.quote button").click()
    expect(page.locator("#outcome-message")).to_be_visible()
    problems += check(page, "outcome in place")
    page.goto(f"{app}/changes/")
    problems += check(page, "history")
    page.locator("table.change-history a").first.click()
    expect(page.locator("#consent-record")).to_be_visible()
    problems += check(page, "receipt")

    assert problems == []


def test_pages_without_javascript_and_problems(app, anna, vendor, new_context, scenario):
    context = new_context(javascript=False)
    context.add_cookies([session_cookie(app, anna)])
    page = context.new_page()
    auditor = new_context().new_page()
    problems = []

    open_subscription(page, app, MONTHLY)
    ask_price(page, "Add seats", seats=15)
    problems += check(page, "quote page", auditor=auditor)
    [cloudify_m] = [p for p in scenario["products"] if p["id"] == 293160]
    vendor.load({"products": [{**cloudify_m, "prices": {"USD": [{"from": 1, "unit_gross": "90.00"}]}}]})
    confirm(page)
    expect(page.get_by_text("The price changed since you agreed").first).to_be_visible()
    problems += check(page, "re-consent", auditor=auditor)

    vendor.fault("increasesubscriptionitemquantity", mode="delay", delay_seconds=0)
    vendor.fault("increasesubscriptionitemquantity", mode="error", status=500)
    confirm(page)
    outcome(page)
    problems += check(page, "outcome unknown", auditor=auditor)

    open_subscription(page, app, MONTHLY)
    vendor.fault("addsubscriptionitem", count=3)
    page.locator("li.offer").filter(has_text="Cloudify Backup").get_by_role("button").click()
    expect(page.locator("#change-problem")).to_be_visible()
    problems += check(page, "preview problem page", auditor=auditor)

    reads.invalidate(MONTHLY)
    for method in ("getsubscription", "getsubscriptionsforcustomer"):
        vendor.fault(method, count=3)
    page.goto(f"{app}/subscriptions/{MONTHLY}/")
    expect(page.locator("#stale-notice")).to_be_visible()
    problems += check(page, "last known state", auditor=auditor)

    cache.clear()  # nothing known any more: the friendly 503
    vendor.fault("getsubscriptionsforcustomer", count=3)
    page.goto(f"{app}/subscriptions/{MONTHLY}/")
    expect(page.locator("#vendor-failure")).to_be_visible()
    problems += check(page, "vendor unavailable", auditor=auditor)

    assert problems == []


def test_a_change_with_the_keyboard_only(app, anna, vendor, new_context):
    context = new_context()
    context.add_cookies([session_cookie(app, anna)])
    page = context.new_page()
    page.goto(f"{app}/subscriptions/{MONTHLY}/")
    keyboard = page.keyboard

    def tab_to(selector: str, limit: int = 60) -> None:
        target = page.locator(selector).first
        for _ in range(limit):
            keyboard.press("Tab")
            if target.evaluate("el => el === document.activeElement"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    keyboard.press("Enter")
    tab_to("li.offer-increase input[type=number]")
    keyboard.press("Control+A")
    keyboard.type("15")
    keyboard.press("Tab")
    expect(page.locator("li.offer-increase button")).to_be_focused()
    keyboard.press("Enter")
    expect(page.locator("section.quote")).to_be_visible()
    tab_to("section.quote input[type=checkbox]")
    keyboard.press("Space")
    expect(page.locator("section.quote input[type=checkbox]")).to_be_checked()
    keyboard.press("Tab")
    expect(page.get_by_role("button", name="Confirm and pay")).to_be_focused()
    keyboard.press("Enter")

    expect(outcome(page)).to_contain_text("Your change is done. You now have 25 seats.")
    assert len(vendor.purchases(MONTHLY)) == 1
