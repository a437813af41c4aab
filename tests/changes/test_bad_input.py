"""Every bad input changes nothing: no quote, no consent, no commit at the vendor."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import CatalogProduct, Consent, LedgerEntry, Quote, QuoteState
from tests.cast import CLOUDIFY_M, DEACTIVATED, MONTHLY, OTTOS, sign_in
from tests.changes.flows import commit, preview


@pytest.fixture
def quote(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    return quote


def assert_untouched(quote, vendor):
    quote.refresh_from_db()
    assert quote.state == QuoteState.QUOTED
    assert not Consent.objects.filter(quote=quote).exists()
    assert list(LedgerEntry.objects.filter(quote=quote).values_list("action", flat=True)) == ["change.quoted"]
    assert vendor.purchases(MONTHLY) == []
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 10


def test_foreign_quote_is_not_found(client, anna_client, vendor, otto, quote):
    other = sign_in(type(client)(), otto)
    for response in (
        other.get(reverse("subscriptions:quote", args=[quote.public_id])),
        other.get(reverse("subscriptions:receipt", args=[quote.public_id])),
        commit(other, quote),
        commit(other, quote, htmx=True),
    ):
        assert response.status_code == 404
    assert_untouched(quote, vendor)


def test_unknown_quote_is_not_found(anna_client, vendor):
    response = anna_client.post(reverse("subscriptions:quote_commit", args=["00000000-0000-0000-0000-000000000000"]))
    assert response.status_code == 404


def test_foreign_subscription_cannot_be_quoted(anna_client, vendor):
    response, quote = preview(anna_client, OTTOS, kind="increase", running_no=1, quantity=1)
    assert response.status_code == 404
    assert quote is None


def test_signed_out_visitor_is_sent_to_sign_in(client, vendor, catalog, quote):
    response = commit(type(client)(), quote)
    assert response.status_code == 302
    assert reverse("subscriptions:sign_in") in response["Location"]
    assert_untouched(quote, vendor)


def test_unticked_box_is_refused(anna_client, vendor, quote):
    response = commit(anna_client, quote, consent=False)
    assert response.status_code == 400
    assert "Please tick the box" in response.content.decode()
    assert_untouched(quote, vendor)


def test_expired_quote_is_refused(anna_client, vendor, quote):
    Quote.objects.filter(pk=quote.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = commit(anna_client, quote)
    assert response.status_code == 409
    assert "expired" in response.content.decode()
    assert_untouched(quote, vendor)
    page = anna_client.get(reverse("subscriptions:quote", args=[quote.public_id])).content.decode()
    assert 'name="consent"' not in page and "has expired" in page


def test_used_quote_is_refused_and_not_sent_again(anna_client, vendor, quote):
    assert commit(anna_client, quote).status_code == 302
    response = commit(anna_client, quote)
    assert response.status_code == 409
    assert "You already confirmed this change on" in response.content.decode()
    assert len(vendor.purchases(MONTHLY)) == 1
    assert Consent.objects.filter(quote=quote).count() == 1
    assert LedgerEntry.objects.filter(quote=quote, action="change.commit_sent").count() == 1


def test_tampered_fields_are_ignored(anna_client, vendor, quote):
    response = commit(
        anna_client,
        quote,
        quantity="100",
        add_quantity="100",
        charge_now_gross="0.01",
        price="0.01",
        running_no="2",
        product_id="293161",
        state="committed",
    )
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 25
    [purchase] = vendor.purchases(MONTHLY)
    assert str(purchase["GrossPrice"]) == "1159.89"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "increase", "running_no": 9, "quantity": 1}, "no such item"),
        ({"kind": "increase", "running_no": 1, "quantity": 0}, "greater than or equal to 1"),
        ({"kind": "increase", "running_no": 1, "quantity": -3}, "greater than or equal to 1"),
        ({"kind": "increase", "running_no": 1, "quantity": 51}, "between 1 and 50"),
        ({"kind": "increase", "running_no": 1, "quantity": "ten"}, "whole number"),
        ({"kind": "increase", "running_no": 1}, "how many seats"),
        ({"kind": "coterm", "running_no": 1, "product_id": CLOUDIFY_M}, "not available"),
        ({"kind": "addon", "product_id": 999999}, "cannot be added"),
        ({"kind": "refund", "running_no": 1, "quantity": 1}, "valid choice"),
    ],
)
def test_bad_preview_requests_store_nothing(anna_client, vendor, fields, message):
    response, quote = preview(anna_client, MONTHLY, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert quote is None
    assert not LedgerEntry.objects.exists()


def test_bad_preview_over_htmx_shows_the_message_in_place(anna_client, vendor):
    response, quote = preview(anna_client, MONTHLY, htmx=True, kind="increase", running_no=1, quantity=51)
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "<html" not in html and 'id="change-problem"' in html and "between 1 and 50" in html
    assert quote is None


def test_total_seat_limit(anna_client, vendor):
    CatalogProduct.objects.filter(vendor_product_id=CLOUDIFY_M).update(max_total_seats=20)
    response, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=11)
    assert response.status_code == 400 and quote is None
    assert "between 1 and 10" in response.content.decode()


def test_inactive_subscription_cannot_be_changed(anna_client, vendor):
    response, quote = preview(anna_client, DEACTIVATED, kind="increase", running_no=1, quantity=1)
    assert response.status_code == 400
    assert "Only active subscriptions" in response.content.decode()
    assert quote is None


def test_subscription_deactivated_after_the_quote_is_not_charged(anna_client, vendor, scenario, quote):
    scenario["subscriptions"][0]["status"] = 2
    vendor.load({"subscriptions": [scenario["subscriptions"][0]]})
    response = commit(anna_client, quote)
    quote.refresh_from_db()
    assert quote.state == QuoteState.REJECTED
    assert "Only active subscriptions" in quote.vendor_message
    assert vendor.purchases(MONTHLY) == []
    assert LedgerEntry.objects.filter(quote=quote, action="change.commit_sent").count() == 0
    assert "Nothing was charged" in anna_client.get(response["Location"]).content.decode()


def test_get_cannot_commit(anna_client, vendor, quote):
    response = anna_client.get(reverse("subscriptions:quote_commit", args=[quote.public_id]))
    assert response.status_code == 405
    assert_untouched(quote, vendor)
