"""A quote that was agreed to is spent: its page and any late confirm lead to its receipt, never to a second purchase.

A second tab, Back and resubmit, or a bookmark all end on the receipt that says when the customer confirmed and
what became of it; nothing offers to start the same change again.
"""

import pytest
from django.urls import reverse

from subscriptions import states
from subscriptions.models import Consent, QuoteState
from tests.cast import MONTHLY
from tests.changes.flows import commit, preview
from tests.web.test_pages import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_quote(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    assert commit(anna_client, quote).status_code == 302
    states.quote_move(quote=quote, to=QuoteState.PAID, action="change.paid", fields={"purchase_id": 990001})
    quote.refresh_from_db()
    return quote


def _confirmed_on(quote) -> str:
    given = Consent.objects.get(quote=quote).given_at
    return f"{given.day} {given:%B %Y}, {given:%H:%M} UTC"


def test_the_used_quotes_page_leads_to_its_receipt(anna_client, paid_quote):
    response = anna_client.get(reverse("subscriptions:quote", args=[paid_quote.public_id]), follow=True)

    receipt = reverse("subscriptions:receipt", args=[paid_quote.public_id])
    assert response.redirect_chain == [(receipt + "?again=1", 302)]
    page = text(response)
    assert f"You already confirmed this change on {_confirmed_on(paid_quote)}; it is paid." in page
    assert "Start the change again" not in page
    assert 'name="consent"' not in response.content.decode()


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_a_late_confirm_shows_the_receipt_and_buys_nothing(anna_client, vendor, paid_quote, htmx):
    response = commit(anna_client, paid_quote, htmx=htmx)

    if htmx:
        assert response.status_code == 200
        page = text(response)
    else:
        assert response.status_code == 409, "refused, and answered with the receipt"
        page = text(response)
    assert f"You already confirmed this change on {_confirmed_on(paid_quote)}; it is paid." in page
    assert "Start the change again" not in page
    assert "start the change again" not in page
    assert len(vendor.purchases(MONTHLY)) == 1


def test_a_confirm_from_a_second_tab_while_it_is_being_confirmed(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    assert commit(anna_client, quote).status_code == 302
    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED

    page = text(commit(anna_client, quote))

    assert f"You already confirmed this change on {_confirmed_on(quote)}; it is done." in page
    assert len(vendor.purchases(MONTHLY)) == 1


def test_pages_with_money_and_a_form_are_not_cached(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    for response in (
        anna_client.get(reverse("subscriptions:quote", args=[quote.public_id])),
        anna_client.get(reverse("subscriptions:subscription", args=[MONTHLY])),
    ):
        assert "no-store" in response["Cache-Control"]


def test_an_unused_expired_quote_still_says_it_expired(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    type(quote).objects.filter(pk=quote.pk).update(expires_at=quote.created_at)

    response = anna_client.get(reverse("subscriptions:quote", args=[quote.public_id]))

    assert response.status_code == 200
    assert "This quote has expired." in text(response)
