"""A price rise between preview and commit: nothing is committed, the customer sees a new quote to agree to."""

from decimal import Decimal

import pytest
from django.urls import reverse

from subscriptions.models import Consent, LedgerEntry, Quote, QuoteState
from tests.cast import CLOUDIFY_M, MONTHLY
from tests.changes.flows import commit, preview


def test_price_raised_at_the_vendor_needs_fresh_consent(anna_client, vendor, scenario):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    scenario["products"][0]["prices"] = {"USD": [{"from": 1, "unit_gross": "90.00"}]}
    vendor.load({"products": [scenario["products"][0]]})

    response = commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.SUPERSEDED
    new_quote = quote.superseded_by
    assert new_quote.state == QuoteState.QUOTED
    assert new_quote.charge_now_gross > quote.charge_now_gross
    assert new_quote.next_billing_gross == Decimal("2250.00")
    assert response.status_code == 302
    assert response["Location"] == reverse("subscriptions:quote", args=[new_quote.public_id])
    assert vendor.purchases(MONTHLY) == []
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 10
    assert not Consent.objects.filter(quote=new_quote).exists()
    actions = list(LedgerEntry.objects.filter(quote=quote).values_list("action", flat=True))
    assert actions == ["change.quoted", "change.consented", "change.reconsent_required"]
    reconsent = LedgerEntry.objects.get(quote=quote, action="change.reconsent_required")
    assert "charge_now" in reconsent.data["reasons"] and "recurring" in reconsent.data["reasons"]
    assert reconsent.data["fresh_preview"]["next_billing_gross"] == "2250.00"

    page = anna_client.get(response["Location"]).content.decode()
    assert "The price changed since you agreed. Nothing was charged." in page
    assert "$2,250.00" in page and 'name="consent"' in page

    # Agreeing to the new quote commits it, at the new price, once.
    assert commit(anna_client, new_quote).status_code == 302
    new_quote.refresh_from_db()
    assert new_quote.state == QuoteState.COMMITTED
    assert len(vendor.purchases(MONTHLY)) == 1
    assert commit(anna_client, quote).status_code == 409


def test_clock_past_the_billing_date_needs_fresh_consent(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, htmx=True, kind="increase", running_no=1, quantity=15)
    vendor.clock("2026-05-23T16:00:00Z")  # the subscription renews on 23 May; a new period is dearer now

    response = commit(anna_client, quote, htmx=True)

    quote.refresh_from_db()
    assert quote.state == QuoteState.SUPERSEDED
    reasons = LedgerEntry.objects.get(quote=quote, action="change.reconsent_required").data["reasons"]
    assert "next_billing_date" in reasons
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'id="quote-{quote.superseded_by.public_id}"' in html
    assert "The price changed since you agreed" in html
    assert vendor.purchases(MONTHLY) == []


def test_a_lower_fresh_price_is_committed_without_asking_again(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    vendor.clock("2026-04-25T16:01:10Z")  # a day later: less of the month left, a smaller charge

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    assert quote.confirmed_charge_now_gross < quote.charge_now_gross
    assert len(vendor.purchases(MONTHLY)) == 1
    assert Quote.objects.count() == 1


@pytest.mark.parametrize(
    "card",
    [
        pytest.param({"payment_type": "Mastercard", "payment_type_id": "CCA_MCA"}, id="type-and-id"),
        pytest.param({"payment_type_id": "CCA_MCA"}, id="type-id-only"),
        pytest.param({"payment_type": "Mastercard"}, id="type-only"),
    ],
)
def test_another_card_with_the_same_last_four_needs_fresh_consent(anna_client, vendor, card):
    """The consent names the card ("Visa ending in 765T"): the same last four on another card is another card."""
    from sandbox.models import Subscription as VendorSubscription

    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    VendorSubscription.objects.filter(pk=MONTHLY).update(**card)  # last four unchanged

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.SUPERSEDED
    assert vendor.purchases(MONTHLY) == []
    reconsent = LedgerEntry.objects.get(quote=quote, action="change.reconsent_required")
    assert reconsent.data["reasons"] == ["payment_method"]
    assert quote.superseded_by.payment_last_four == quote.payment_last_four
