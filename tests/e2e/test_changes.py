"""The three changes through preview, consent and commit, with the guide's figures at the guide's moments."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from subscriptions.models import Consent, Quote
from tests.cast import COTERM_NOW, MONTHLY, YEARLY
from tests.e2e.journeys import amount, ask_price, confirm, open_subscription, outcome

pytestmark = pytest.mark.browser


def test_add_seats_shows_the_guides_figures_and_commits_once(app, vendor, anna_page):
    page = anna_page
    open_subscription(page, app, MONTHLY)

    quote = ask_price(page, "Add seats", seats=15)

    expect(quote).to_contain_text("Cloudify M: 10 → 25 seats")
    assert amount(quote, "charge_now_gross") == "$1,159.89"
    assert amount(quote, "charge_now_net") == "$974.70"
    assert amount(quote, "charge_now_vat") == "$185.19"
    assert amount(quote, "next_billing_gross") == "$2,000.00"
    expect(quote).to_contain_text("Billed from 23 May 2026 on")
    expect(quote.get_by_role("checkbox")).not_to_be_checked()
    assert vendor.purchases(MONTHLY) == []

    confirm(page)

    expect(outcome(page)).to_contain_text("Your change is done. You now have 25 seats.")
    [purchase] = vendor.purchases(MONTHLY)
    assert Decimal(str(purchase["GrossPrice"])) == Decimal("1159.89")
    assert vendor.current_items(MONTHLY)[293160]["Quantity"] == 25
    consent = Consent.objects.get()
    assert consent.language == "en"
    assert "$1,159.89" in consent.text


def test_co_termed_second_seat_at_the_guides_moment(app, vendor, anna_page):
    vendor.clock(COTERM_NOW)
    page = anna_page
    open_subscription(page, app, YEARLY)

    quote = ask_price(page, "Second seat at $600.00/year")

    expect(quote).to_contain_text("Cloudify Storage A: 1 → 2 seats")
    assert amount(quote, "charge_now_gross") == "$540.82"
    assert amount(quote, "charge_now_net") == "$454.47"
    assert amount(quote, "charge_now_vat") == "$86.35"
    assert amount(quote, "next_billing_gross") == "$1,800.00"
    expect(quote).to_contain_text("Billed from 13 May 2027 on, per year")

    confirm(page)

    expect(outcome(page)).to_contain_text("You now have 2 seats.")
    assert len(vendor.purchases(YEARLY)) == 1


def test_add_on(app, vendor, anna_page):
    page = anna_page
    open_subscription(page, app, MONTHLY)

    quote = ask_price(page, "Cloudify Backup")

    expect(quote).to_contain_text("Add Cloudify Backup")
    assert amount(quote, "charge_now_gross") == "$14.50"
    assert amount(quote, "next_billing_gross") == "$815.00"

    confirm(page)

    expect(outcome(page)).to_contain_text("Cloudify Backup is now part of your subscription.")
    assert 293161 in vendor.current_items(MONTHLY)


def test_confirming_without_the_box_ticked_changes_nothing(app, vendor, anna_page):
    page = anna_page
    open_subscription(page, app, MONTHLY)
    ask_price(page, "Add seats", seats=15)

    confirm(page, tick=False)

    refusal = page.locator("#commit-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_have_attribute("data-code", "consent_missing")
    assert vendor.purchases(MONTHLY) == []
    assert Quote.objects.get().state == "quoted"

    confirm(page)
    expect(outcome(page)).to_contain_text("Your change is done.")
    assert len(vendor.purchases(MONTHLY)) == 1


def test_a_double_click_on_confirm_buys_once(app, vendor, anna_page, javascript):
    page = anna_page
    open_subscription(page, app, MONTHLY)
    ask_price(page, "Add seats", seats=15)

    confirm(page, double=True)

    if javascript:
        expect(outcome(page)).to_contain_text("Your change is done.")
    else:
        # The second submission is what the browser shows: either the receipt or "can no longer be confirmed".
        expect(page.locator("#outcome-message, #quote-used, #commit-refusal").first).to_be_visible()
    page.wait_for_load_state()
    assert len(vendor.purchases(MONTHLY)) == 1
    assert vendor.current_items(MONTHLY)[293160]["Quantity"] == 25
    assert Quote.objects.get().state == "committed"


def test_a_price_rise_asks_for_consent_again(app, vendor, anna_page, scenario):
    page = anna_page
    open_subscription(page, app, MONTHLY)
    ask_price(page, "Add seats", seats=15)
    [cloudify_m] = [p for p in scenario["products"] if p["id"] == 293160]
    vendor.load({"products": [{**cloudify_m, "prices": {"USD": [{"from": 1, "unit_gross": "90.00"}]}}]})

    confirm(page)

    expect(page.get_by_text("The price changed since you agreed").first).to_be_visible()
    quote = page.locator("section.quote")
    assert amount(quote, "next_billing_gross") == "$2,250.00"
    expect(quote.get_by_role("checkbox")).not_to_be_checked()
    assert vendor.purchases(MONTHLY) == []
    assert sorted(Quote.objects.values_list("state", flat=True)) == ["quoted", "superseded"]

    confirm(page)

    expect(outcome(page)).to_contain_text("Your change is done.")
    [purchase] = vendor.purchases(MONTHLY)
    assert Decimal(str(purchase["GrossPrice"])) == Quote.objects.get(state="committed").charge_now_gross


def test_a_vendor_failure_on_preview_is_shown_in_place(app, vendor, anna_page, javascript):
    page = anna_page
    open_subscription(page, app, MONTHLY)
    vendor.fault("increasesubscriptionitemquantity", count=3)

    offer_form = page.locator("li.offer").filter(has_text="Add seats")
    offer_form.get_by_label("Seats to add").fill("15")
    offer_form.get_by_role("button", name="See the price").click()

    problem = page.locator("#change-problem")
    expect(problem).to_contain_text("We could not get a price from the billing provider just now.")
    expect(page.get_by_role("heading", name="Change your subscription")).to_be_visible()
    if javascript:
        expect(page).to_have_url(f"{app}/subscriptions/{MONTHLY}/")
        expect(page.locator(f"#change-panel-{MONTHLY} #change-problem")).to_be_visible()
    assert Quote.objects.count() == 0


def test_a_vendor_failure_on_commit_is_shown_in_place(app, vendor, anna_page):
    page = anna_page
    open_subscription(page, app, MONTHLY)
    ask_price(page, "Add seats", seats=15)
    # The fresh check before sending previews once more: that one passes, the commit itself gets a 500.
    vendor.fault("increasesubscriptionitemquantity", mode="delay", delay_seconds=0)
    vendor.fault("increasesubscriptionitemquantity", mode="error", status=500)

    confirm(page)

    expect(outcome(page)).to_contain_text("We are confirming your change.")
    assert Quote.objects.get().state == "outcome_unknown"
