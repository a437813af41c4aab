"""Input no real customer sends gets the answer a real customer would understand.

An id no subscription can have is a 404 like any other unknown page; a forged seat count is told the customer's
real limit from the catalog, not the form's technical bound.
"""

import pytest
from django.urls import reverse

from subscriptions.models import Quote
from tests.cast import MONTHLY
from tests.changes.flows import preview
from tests.web.test_pages import text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("subscription_id", ["0", "9223372036854775808", "99999999999999999999"])
def test_an_id_no_subscription_can_have_is_not_found(anna_client, subscription_id):
    assert anna_client.get(f"/subscriptions/{subscription_id}/").status_code == 404
    assert anna_client.post(f"/subscriptions/{subscription_id}/changes/", {"kind": "increase"}).status_code == 404


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("quantity", ["1000000000000", "100001", "51"])
def test_a_forged_seat_count_is_told_the_real_limit(anna_client, vendor, quantity, htmx):
    response, quote = preview(anna_client, MONTHLY, htmx=htmx, kind="increase", running_no=1, quantity=quantity)

    page = text(response)
    assert quote is None and Quote.objects.count() == 0
    assert "You can add between 1 and 50 seats at a time." in page
    assert "100000" not in page and "100,000" not in page and "100 000" not in page
    assert vendor.purchases(MONTHLY) == []


def test_the_real_limit_is_what_the_page_offers(anna_client, vendor):
    html = anna_client.get(reverse("subscriptions:subscription", args=[MONTHLY])).content.decode()
    assert 'min="1" max="50"' in html
