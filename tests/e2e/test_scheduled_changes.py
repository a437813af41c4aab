"""The changes at the next billing date, the plan switches, add-on removal and reactivation, cancel and resume, and
the vendor's page for the card: each as a customer's journey in English and German, with axe at every state."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from subscriptions.models import Quote
from tests.cast import BACKUP, CLOUDIFY_L, CLOUDIFY_M, MONTHLY, with_plans
from tests.e2e.a11y import check
from tests.e2e.conftest import session_cookie
from tests.e2e.journeys import open_subscription
from tests.vendor import SANDBOX_AUTH

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Words:
    """What the pages say, per language (the figures are the sandbox's: 80.00 a seat a month, 19 % VAT)."""

    locale: str
    reduced: str
    scheduled_seats: str
    switched_later: str
    addon_ends: str
    reactivated: str
    ends_on: str
    cancelled: str
    resumed: str
    undone: str
    switched_now: str


ENGLISH = Words(
    locale="en-US",
    reduced="From 23 May 2026 you have 8 seats.",
    scheduled_seats="From 23 May 2026: 8 seats of Cloudify M, $640.00 per month for these seats",
    switched_later="Your plan changes on 23 May 2026.",
    addon_ends="Cloudify Backup ends on 23 May 2026",
    reactivated="Cloudify Backup is active again.",
    ends_on="Ends on 23 May 2026",
    cancelled="Automatic renewal is off. Your subscription ends on 23 May 2026.",
    resumed="Automatic renewal is on again.",
    undone="The scheduled change is undone: Cloudify M stays as it is.",
    switched_now="Your new plan applies from now on.",
)
GERMAN = Words(
    locale="de-DE",
    reduced="Ab 23. Mai 2026 haben Sie 8 Plätze.",
    scheduled_seats="Ab 23. Mai 2026: 8 Plätze Cloudify M, 640,00\xa0$ monatlich für diese Plätze",
    switched_later="Ihr Tarif wechselt am 23. Mai 2026.",
    addon_ends="Cloudify Backup endet am 23. Mai 2026",
    reactivated="Cloudify Backup ist wieder aktiv.",
    ends_on="Endet am 23. Mai 2026",
    cancelled="Die automatische Verlängerung ist aus. Ihr Abonnement endet am 23. Mai 2026.",
    resumed="Die automatische Verlängerung ist wieder an.",
    undone="Die geplante Änderung ist zurückgenommen: Cloudify M bleibt, wie es ist.",
    switched_now="Ihr neuer Tarif gilt ab sofort.",
)


@pytest.fixture(params=[ENGLISH, GERMAN], ids=["en", "de"])
def words(request) -> Words:
    return request.param


@pytest.fixture
def page(app, anna, new_context, words) -> Page:
    context = new_context(locale=words.locale)
    context.add_cookies([session_cookie(app, anna)])
    return context.new_page()


@pytest.fixture
def scenario(scenario):
    """The cast's vendor data with Cloudify L, the plan the demo catalog lets Cloudify M switch to."""
    return with_plans(scenario)


@pytest.fixture
def with_backup(scenario):
    """Anna's monthly subscription with the Cloudify Backup add-on as its second item."""
    scenario["subscriptions"][0]["items"].append({"product_id": BACKUP, "quantity": 1})
    return scenario


def quote_in_place(page: Page):
    quote = page.locator("section.quote")
    expect(quote).to_be_visible()
    return quote


def agree(page: Page) -> None:
    quote = page.locator("section.quote")
    quote.get_by_role("checkbox").check()
    quote.locator(".consent-form button").click()


def outcome_says(page: Page, text: str) -> None:
    expect(page.locator("#outcome-message")).to_contain_text(text)


def reduce_to_eight(page: Page, app: str, problems: list[str]) -> None:
    open_subscription(page, app, MONTHLY)
    offer = page.locator("li.offer-reduce")
    offer.locator("input[type=number]").fill("8")
    offer.locator("button").click()
    quote = quote_in_place(page)
    expect(quote.locator("#nothing-now")).to_be_visible()
    problems += check(page, "fewer seats: quote")
    agree(page)


def test_fewer_seats_from_the_billing_date(app, vendor, page, words):
    problems: list[str] = []
    reduce_to_eight(page, app, problems)
    outcome_says(page, words.reduced)
    problems += check(page, "fewer seats: outcome")
    assert vendor.purchases(MONTHLY) == []  # nothing charged now

    open_subscription(page, app, MONTHLY)
    expect(page.locator("#scheduled")).to_contain_text(words.scheduled_seats)
    problems += check(page, "fewer seats: scheduled")
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 10  # still 10 until the billing date
    assert problems == []


def test_undo_the_fewer_seats(app, vendor, page, words):
    problems: list[str] = []
    reduce_to_eight(page, app, problems)
    outcome_says(page, words.reduced)

    open_subscription(page, app, MONTHLY)
    page.locator("#scheduled .undo-form button").click()
    quote_in_place(page)
    problems += check(page, "undo: quote")
    agree(page)
    outcome_says(page, words.undone)

    open_subscription(page, app, MONTHLY)
    expect(page.locator("#scheduled")).to_have_count(0)
    expect(page.locator("li.offer-reduce")).to_be_visible()  # offered again
    problems += check(page, "undo: nothing scheduled")
    assert [q.kind for q in Quote.objects.filter(state="committed").order_by("id")] == ["reduce", "undo"]
    assert problems == []


def test_switch_plan_now(app, vendor, page, words):
    problems: list[str] = []
    open_subscription(page, app, MONTHLY)
    page.locator("li.offer-switch_now").filter(has_text="Cloudify L").locator("button").click()
    quote = quote_in_place(page)
    expect(quote.locator('[data-amount="charge_now_gross"]')).to_be_visible()
    problems += check(page, "switch now: quote")
    agree(page)
    outcome_says(page, words.switched_now)
    problems += check(page, "switch now: outcome")
    assert CLOUDIFY_L in vendor.current_items(MONTHLY)
    assert len(vendor.purchases(MONTHLY)) == 1
    assert problems == []


def test_switch_plan_at_the_billing_date(app, vendor, page, words):
    problems: list[str] = []
    open_subscription(page, app, MONTHLY)
    page.locator("li.offer-switch_later").filter(has_text="Cloudify L").locator("button").click()
    quote = quote_in_place(page)
    expect(quote.locator("#nothing-now")).to_be_visible()
    problems += check(page, "switch later: quote")
    agree(page)
    outcome_says(page, words.switched_later)

    open_subscription(page, app, MONTHLY)
    expect(page.locator("#scheduled")).to_contain_text("Cloudify L")
    problems += check(page, "switch later: scheduled")
    assert CLOUDIFY_L not in vendor.current_items(MONTHLY)
    assert vendor.purchases(MONTHLY) == []
    assert problems == []


def test_remove_an_add_on_at_the_billing_date(app, with_backup, vendor, page, words):
    problems: list[str] = []
    open_subscription(page, app, MONTHLY)
    page.locator("li.offer-remove_addon button").click()
    quote_in_place(page)
    problems += check(page, "remove add-on: quote")
    agree(page)
    outcome_says(page, words.addon_ends)

    open_subscription(page, app, MONTHLY)
    expect(page.locator("#scheduled")).to_contain_text(words.addon_ends)
    problems += check(page, "remove add-on: scheduled")
    assert vendor.current_items(MONTHLY)[BACKUP]["DeactivationDate"]
    assert problems == []


def test_reactivate_a_removed_add_on(app, with_backup, vendor, page, words):
    """The add-on ended at the last billing date; it comes back, billed again from the next one."""
    response = vendor.client.post(
        "/sandbox/api/subscription/deactivatesubscriptionitems",
        json.dumps({"SubscriptionId": f"S{MONTHLY}", "Items": [2], "GenerateMail": False}),
        content_type="application/json",
        HTTP_AUTHORIZATION=SANDBOX_AUTH,
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    vendor.clock("2026-05-24T09:00:00Z")  # past the billing date: the add-on is deactivated
    assert vendor.current_items(MONTHLY)[BACKUP]["Status"] == 2

    problems: list[str] = []
    open_subscription(page, app, MONTHLY)
    page.locator("li.offer-reactivate button").click()
    quote_in_place(page)
    problems += check(page, "reactivate: quote")
    agree(page)
    outcome_says(page, words.reactivated)
    problems += check(page, "reactivate: outcome")
    assert problems == []


def test_cancel_with_a_reason_then_resume(app, vendor, page, words):
    problems: list[str] = []
    open_subscription(page, app, MONTHLY)
    page.locator("#cancel-link").click()
    expect(page.locator("#retention li.offer-reduce")).to_be_visible()
    problems += check(page, "cancellation page")
    page.locator('input[name=reason_code][value="too_expensive"]').check()
    page.locator("textarea[name=reason_text]").fill("Our team got smaller.")
    page.locator("#cancel-continue").click()
    quote = quote_in_place(page)
    expect(quote.locator("#ends-on")).to_be_visible()
    problems += check(page, "cancel: quote")
    agree(page)
    outcome_says(page, words.cancelled)
    quote = Quote.objects.get(kind="cancel")
    assert (quote.reason_code, quote.reason_text) == ("too_expensive", "Our team got smaller.")

    open_subscription(page, app, MONTHLY)
    expect(page.locator("#scheduled")).to_contain_text(words.ends_on)
    expect(page.locator("#cancel-link")).to_have_count(0)
    problems += check(page, "cancelled: ends on")
    assert vendor.subscription(MONTHLY)["RenewalType"] == "Manual"

    page.locator("#scheduled .undo-form button").click()
    quote_in_place(page)
    problems += check(page, "resume: quote")
    agree(page)
    outcome_says(page, words.resumed)
    open_subscription(page, app, MONTHLY)
    expect(page.locator("#scheduled")).to_have_count(0)
    assert vendor.subscription(MONTHLY)["RenewalType"] == "Automatic"
    assert vendor.purchases(MONTHLY) == []
    assert problems == []


def test_a_retention_offer_instead_of_cancelling(app, vendor, page, words):
    page.goto(f"{app}/subscriptions/{MONTHLY}/cancel/")
    offer = page.locator("#retention li.offer-reduce")
    offer.locator("input[type=number]").fill("8")
    offer.locator("button").click()
    expect(page.locator("#cancel-panel section.quote")).to_be_visible()
    assert check(page, "retention: quote") == []
    agree(page)
    outcome_says(page, words.reduced)
    assert vendor.subscription(MONTHLY)["RenewalType"] == "Automatic"


def test_a_cheaper_plan_instead_of_cancelling(app, vendor, page, words):
    page.goto(f"{app}/subscriptions/{MONTHLY}/cancel/")
    page.locator("#retention li.offer-switch_later").filter(has_text="Cloudify S").locator("button").click()
    quote = page.locator("#cancel-panel section.quote")
    expect(quote.locator("#nothing-now")).to_be_visible()
    assert check(page, "retention, cheaper plan: quote") == []
    agree(page)
    outcome_says(page, words.switched_later)
    open_subscription(page, app, MONTHLY)
    expect(page.locator("#scheduled")).to_contain_text("Cloudify S")
    assert vendor.subscription(MONTHLY)["RenewalType"] == "Automatic"
    assert vendor.purchases(MONTHLY) == []


def test_the_card_is_changed_on_the_vendors_page(app, vendor, page, words):
    url = vendor.subscription(MONTHLY)["SelfServiceUrl"]
    page.context.route("https://www.cleverbridge.com/**", lambda route: route.fulfill(body="vendor", status=200))
    open_subscription(page, app, MONTHLY)
    assert check(page, "subscription with the vendor's links") == []
    with page.expect_popup() as popup:
        page.locator("#payment-method-link").click()
    assert popup.value.url == url
    with page.expect_popup() as popup:
        page.locator("#documents-link").click()
    assert popup.value.url == url
    assert page.locator("main input[autocomplete*=cc], main input[name*=card]").count() == 0


def test_cancel_and_resume_without_javascript(app, anna, vendor, new_context, words):
    context = new_context(locale=words.locale, javascript=False)
    context.add_cookies([session_cookie(app, anna)])
    page = context.new_page()
    auditor = new_context(locale=words.locale).new_page()
    problems: list[str] = []

    page.goto(f"{app}/subscriptions/{MONTHLY}/cancel/")
    problems += check(page, "cancellation page without JavaScript", auditor=auditor)
    page.locator('input[name=reason_code][value="unused"]').check()
    page.locator("#cancel-continue").click()
    expect(page).to_have_url(re.compile(r"/changes/[0-9a-f-]+/$"))
    problems += check(page, "cancel: quote page", auditor=auditor)
    agree(page)
    outcome_says(page, words.cancelled)
    problems += check(page, "cancel: receipt", auditor=auditor)

    open_subscription(page, app, MONTHLY)
    expect(page.locator("#scheduled")).to_contain_text(words.ends_on)
    problems += check(page, "cancelled: subscription page", auditor=auditor)
    page.locator("#scheduled .undo-form button").click()
    agree(page)
    outcome_says(page, words.resumed)
    assert vendor.subscription(MONTHLY)["RenewalType"] == "Automatic"
    assert problems == []
