"""German from the browser's language, a visible switch, money and dates per locale, consent in German on record."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from subscriptions.models import Consent, LedgerEntry
from tests.cast import MONTHLY
from tests.e2e.conftest import LINK, session_cookie

pytestmark = pytest.mark.browser


def test_a_german_browser_gets_german_pages_amounts_dates_and_consent(app, anna, new_context, vendor):
    context = new_context(locale="de-DE")
    context.add_cookies([session_cookie(app, anna)])
    page = context.new_page()

    page.goto(app + "/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Abonnements")
    row = page.locator("table.subscriptions tbody tr").filter(has_text="S68574751")
    expect(row).to_contain_text("800,00\xa0$")
    expect(row).to_contain_text("23. Mai 2026")
    expect(row).to_contain_text("Aktiv")

    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Abonnement ändern")).to_be_visible()
    offer = page.locator("li.offer").filter(has_text="Plätze")
    offer.first.get_by_label("Zusätzliche Plätze").fill("15")
    offer.first.get_by_role("button", name="Preis ansehen").click()

    quote = page.locator("section.quote")
    expect(quote).to_contain_text("Cloudify M: 10 → 25 Plätze")
    expect(quote.locator('[data-amount="charge_now_gross"]')).to_have_text("1.159,89\xa0$")
    expect(quote.locator('[data-amount="next_billing_gross"]')).to_have_text("2.000,00\xa0$")
    expect(quote).to_contain_text("Ab 23. Mai 2026 berechnet, monatlich")
    consent_label = quote.locator(".consent label")
    expect(consent_label).to_contain_text("Ich stimme zu, Cloudify M in Abonnement S68574751 von 10 auf 25 Plätze")
    shown = consent_label.inner_text()

    quote.get_by_role("checkbox").check()
    quote.get_by_role("button", name="Bestätigen und bezahlen").click()

    expect(page.locator("#outcome-message")).to_contain_text("Sie haben jetzt 25 Plätze.")
    consent = Consent.objects.get()
    assert consent.language == "de"
    assert consent.text == shown
    entry = LedgerEntry.objects.get(action="change.consented")
    assert entry.data["language"] == "de"
    assert entry.data["consent_text"] == shown
    assert len(vendor.purchases(MONTHLY)) == 1


def test_the_language_switch_changes_the_pages_and_the_consent_text(app, anna, new_context, vendor, javascript):
    context = new_context(locale="de-DE", javascript=javascript)
    context.add_cookies([session_cookie(app, anna)])
    page = context.new_page()
    page.goto(f"{app}/subscriptions/{MONTHLY}/")
    expect(page.get_by_role("heading", name="Überblick")).to_be_visible()

    page.get_by_label("Sprache").select_option("en")
    page.get_by_role("button", name="Ändern").click()

    expect(page).to_have_url(f"{app}/subscriptions/{MONTHLY}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.locator("li.offer").filter(has_text="Add seats").get_by_role("button", name="See the price").click()
    expect(page.locator(".consent label")).to_contain_text("I agree to change Cloudify M")
    page.locator("section.quote").get_by_role("checkbox").check()
    page.get_by_role("button", name="Confirm and pay").click()
    expect(page.locator("#outcome-message")).to_contain_text("Your change is done.")
    assert Consent.objects.get().language == "en"


def test_the_sign_in_e_mail_is_german_for_a_german_browser(app, anna, new_context):
    page = new_context(locale="de-DE").new_page()
    page.goto(app + "/sign-in/")
    page.get_by_label("E-Mail-Adresse").fill(anna.email)
    page.get_by_role("button", name="Anmeldelink senden").click()
    expect(page.get_by_role("heading", name="Sehen Sie in Ihr Postfach")).to_be_visible()
    message = mail.outbox[-1]
    assert message.subject == "Ihr Anmeldelink"
    page.goto(LINK.search(message.body).group(0))
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Abonnements")
