"""Add seats now: the guide's figures on the page, in the consent and in the ledger; one purchase at the vendor."""

from decimal import Decimal

from django.urls import reverse

from subscriptions.formatting import CONSENT_TEXT_VERSION
from subscriptions.models import Consent, LedgerEntry, QuoteState
from tests.cast import CLOUDIFY_M, MONTHLY
from tests.changes.flows import commit, preview


def test_preview_shows_the_guides_figures_and_stores_the_quote(anna_client, vendor):
    response, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)

    assert response.status_code == 302
    assert response["Location"] == reverse("subscriptions:quote", args=[quote.public_id])
    assert quote.state == QuoteState.QUOTED
    assert (quote.quantity_before, quote.quantity_after, quote.vendor_quantity) == (10, 25, 15)
    assert (quote.charge_now_gross, quote.charge_now_net, quote.charge_now_vat) == (
        Decimal("1159.89"),
        Decimal("974.70"),
        Decimal("185.19"),
    )
    assert (quote.next_billing_gross, quote.next_billing_net, quote.next_billing_vat) == (
        Decimal("2000.00"),
        Decimal("1680.67"),
        Decimal("319.33"),
    )
    assert quote.currency == "USD"
    assert quote.commit_request["Quantity"] == 15
    assert quote.commit_request["AlignmentSettings"] == {
        "AlignToCurrentInterval": True,
        "ExtendInterval": False,
        "GetCustomerPricePreviewOnly": False,
    }
    assert quote.preview_request["AlignmentSettings"]["GetCustomerPricePreviewOnly"] is True
    assert quote.preview_request["GenerateMail"] is False
    assert vendor.purchases(MONTHLY) == []

    page = anna_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "10 → 25 seats" in html
    for figure in ("$1,159.89", "$974.70", "$185.19", "$2,000.00", "$1,680.67", "$319.33", "23 May 2026"):
        assert figure in html
    assert "Visa ending in 765T" in html
    assert (
        "Your bank may ask you to confirm this payment (Strong Customer Authentication), especially in the EEA." in html
    )
    assert 'type="checkbox" name="consent" value="yes"' in html
    assert "checked" not in html.split('name="consent"')[1].split(">")[0]

    entry = LedgerEntry.objects.get(quote=quote)
    assert entry.action == "change.quoted"
    assert entry.data["charge_now_gross"] == "1159.89"
    assert entry.data["vendor"]["response"]["AlignmentCustomerGrossPrice"] == "1159.89"
    assert entry.data["vendor"]["request"]["Quantity"] == 15


def test_commit_adds_fifteen_seats_once_and_records_everything(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)

    response = commit(anna_client, quote)

    assert response.status_code == 302
    assert response["Location"] == reverse("subscriptions:receipt", args=[quote.public_id])
    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    assert quote.confirmed_charge_now_gross == Decimal("1159.89")
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 25
    purchases = vendor.purchases(MONTHLY)
    assert len(purchases) == 1
    assert len(vendor.emails(MONTHLY)) == 1

    consent = Consent.objects.get(quote=quote)
    assert consent.text_version == CONSENT_TEXT_VERSION == "2026-11-1"
    assert consent.language == "en"
    assert consent.ip == "127.0.0.1"
    for figure in ("$1,159.89", "$974.70", "$185.19", "$2,000.00", "23 May 2026", "from 10 to 25 seats", "765T"):
        assert figure in consent.text
    page = anna_client.get(reverse("subscriptions:quote", args=[quote.public_id]))
    assert consent.text not in page.content.decode()  # the form is gone once used
    assert [e.action for e in LedgerEntry.objects.filter(quote=quote)] == [
        "change.quoted",
        "change.consented",
        "change.commit_sent",
        "change.committed",
    ]
    committed = LedgerEntry.objects.get(quote=quote, action="change.committed")
    assert committed.data["confirmed"]["charge_now_gross"] == "1159.89"
    assert committed.data["vendor"]["request"]["AlignmentSettings"]["GetCustomerPricePreviewOnly"] is False
    assert committed.data["vendor"]["request"]["GenerateMail"] is True
    assert committed.data["vendor"]["response"]["NextBillingCustomerGrossPrice"] == "2000.00"
    assert committed.customer_id == quote.customer_id and committed.ip == "127.0.0.1"

    receipt = anna_client.get(response["Location"]).content.decode()
    assert "Your change is done." in receipt
    assert "You now have 25 seats." in receipt
    assert consent.text.replace("→", "→") in receipt or "$1,159.89" in receipt


def test_consent_text_shown_is_the_text_stored(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    page = anna_client.get(reverse("subscriptions:quote", args=[quote.public_id])).content.decode()
    commit(anna_client, quote)
    consent = Consent.objects.get(quote=quote)
    assert f">{consent.text}</label>" in page


def test_htmx_preview_and_commit_render_fragments(anna_client, vendor):
    response, quote = preview(anna_client, MONTHLY, htmx=True, kind="increase", running_no=1, quantity=15)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f'id="quote-{quote.public_id}"' in html
    assert 'hx-disabled-elt="find button"' in html
    assert "hx-indicator" in html
    assert "$1,159.89" in html

    response = commit(anna_client, quote, htmx=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Your change is done." in html
    assert len(vendor.purchases(MONTHLY)) == 1


def test_history_lists_the_change_with_status_and_amounts(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)
    html = anna_client.get(reverse("subscriptions:changes")).content.decode()
    assert "Cloudify M: 10 → 25 seats" in html
    assert "$1,159.89" in html and "$2,000.00" in html
    assert "Done" in html
