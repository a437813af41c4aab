"""The co-termed second seat (guide figures) and adding a product, end to end against the sandbox."""

from decimal import Decimal

from django.urls import reverse

from subscriptions.formatting import format_datetime
from subscriptions.models import Consent, LedgerEntry, QuoteState
from tests.cast import BACKUP, COTERM_NOW, MONTHLY, STORAGE_A, STORAGE_ENCRYPTION, YEARLY
from tests.changes.flows import commit, preview


def test_coterm_second_seat_at_the_guides_moment(anna_client, vendor):
    vendor.clock(COTERM_NOW)

    response, quote = preview(anna_client, YEARLY, kind="coterm", running_no=1, product_id=STORAGE_A)

    assert response.status_code == 302
    assert quote.kind == "coterm"
    assert (quote.quantity_before, quote.quantity_after, quote.vendor_quantity) == (1, 2, 2)
    assert quote.commit_request["Quantity"] == 2  # the new TOTAL
    assert quote.commit_request["UpdateAction"] == "Upgrade"
    assert quote.commit_request["AlignmentSettings"]["ExtendInterval"] is False
    assert (quote.charge_now_gross, quote.charge_now_net, quote.charge_now_vat) == (
        Decimal("540.82"),
        Decimal("454.47"),
        Decimal("86.35"),
    )
    assert (quote.next_billing_gross, quote.next_billing_net, quote.next_billing_vat) == (
        Decimal("1800.00"),
        Decimal("1512.61"),
        Decimal("287.39"),
    )
    html = anna_client.get(response["Location"]).content.decode()
    for figure in ("1 → 2 seats", "$540.82", "$454.47", "$86.35", "$1,800.00", "$1,512.61", "$287.39", "13 May 2027"):
        assert figure in html
    assert "per year" in html

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    assert vendor.current_items(YEARLY)[STORAGE_A]["Quantity"] == 2
    assert len(vendor.purchases(YEARLY)) == 1
    consent = Consent.objects.get(quote=quote)
    assert "$540.82" in consent.text and "13 May 2027" in consent.text and "$1,800.00" in consent.text
    ledger = {entry.action: entry.data for entry in LedgerEntry.objects.filter(quote=quote)}
    assert ledger["change.quoted"]["charge_now_gross"] == "540.82"
    assert ledger["change.committed"]["confirmed"]["charge_now_gross"] == "540.82"
    assert ledger["change.committed"]["confirmed"]["next_billing_gross"] == "1800.00"


def test_coterm_quantity_comes_from_the_offer_not_the_request(anna_client, vendor):
    vendor.clock(COTERM_NOW)
    _, quote = preview(anna_client, YEARLY, kind="coterm", running_no=1, product_id=STORAGE_A, quantity=7)
    assert quote.quantity_after == 2 and quote.vendor_quantity == 2


def test_coterm_is_not_offered_beyond_its_total(anna_client, vendor, scenario):
    scenario["subscriptions"][1]["items"][0]["quantity"] = 2
    vendor.load(scenario, reset=True)
    response, quote = preview(anna_client, YEARLY, kind="coterm", running_no=1, product_id=STORAGE_A)
    assert response.status_code == 400
    assert quote is None
    assert "not available" in response.content.decode()


def test_add_on_is_added_and_charged_once(anna_client, vendor):
    response, quote = preview(anna_client, MONTHLY, kind="addon", product_id=BACKUP)

    assert response.status_code == 302
    assert quote.kind == "addon" and quote.running_no is None
    assert quote.product_name == "Cloudify Backup"
    assert quote.commit_request == {
        "SubscriptionId": f"S{MONTHLY}",
        "ProductId": BACKUP,
        "Quantity": 1,
        "AlignmentSettings": {
            "AlignToCurrentInterval": True,
            "ExtendInterval": False,
            "GetCustomerPricePreviewOnly": False,
        },
        "GenerateMail": True,
    }
    assert Decimal(0) < quote.charge_now_gross < Decimal("15.00")
    assert quote.next_billing_gross == Decimal("815.00")  # 10 seats at 80.00 plus 15.00
    html = anna_client.get(response["Location"]).content.decode()
    assert "Add Cloudify Backup" in html

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    items = vendor.current_items(MONTHLY)
    assert items[BACKUP]["Quantity"] == 1
    purchases = vendor.purchases(MONTHLY)
    assert len(purchases) == 1
    assert Decimal(str(purchases[0]["GrossPrice"])) == quote.charge_now_gross
    entry = LedgerEntry.objects.get(quote=quote, action="change.committed")
    assert entry.data["confirmed"]["charge_now_gross"] == entry.data["charge_now_gross"] == "14.50"
    assert Decimal(entry.data["charge_now_gross"]) == quote.charge_now_gross

    # Once held, the add-on is no longer offered.
    again, second = preview(anna_client, MONTHLY, kind="addon", product_id=BACKUP)
    assert again.status_code == 400 and second is None


def test_add_on_of_another_product_is_refused(anna_client, vendor):
    response, quote = preview(anna_client, MONTHLY, kind="addon", product_id=STORAGE_ENCRYPTION)
    assert response.status_code == 400
    assert quote is None
    assert "cannot be added" in response.content.decode()
    assert vendor.purchases(MONTHLY) == []


def test_receipt_states_agreement_and_vendor_confirmation(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="addon", product_id=BACKUP)
    commit(anna_client, quote)
    html = anna_client.get(reverse("subscriptions:receipt", args=[quote.public_id])).content.decode()
    consent = Consent.objects.get(quote=quote)
    assert "What you agreed to" in html
    assert 'id="consent-record"' in html
    assert "Confirmed by the billing provider" in html
    assert f"Agreed on {format_datetime(consent.given_at)}" in html
    assert "change.committed" not in html, "the customer reads words, not ledger codes"
    timeline = html[html.index('id="timeline-title"') :]
    for step in ("Price quoted", "You agreed", "Sent to the billing provider", "Confirmed by the billing provider"):
        assert step in timeline
