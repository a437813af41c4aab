"""When the price or terms differ from what the customer saw, one plain sentence says why, in both languages.

The re-consent banner names what actually changed (the reasons the commit's fresh check records in the ledger's
`change.reconsent_required`), and a receipt whose confirmed charge differs from the quote says why it differs.
"""

import pytest
from django.urls import reverse

from sandbox.models import Subscription as VendorSubscription
from sandbox.models import SubscriptionItem as VendorItem
from subscriptions.models import QuoteState
from tests.cast import MONTHLY
from tests.changes.flows import commit, preview
from tests.web.test_pages import text

pytestmark = pytest.mark.django_db

DE = {"HTTP_ACCEPT_LANGUAGE": "de"}


def _superseded(anna_client, change_at_vendor, *, htmx=False):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    change_at_vendor()
    response = commit(anna_client, quote, htmx=htmx)
    quote.refresh_from_db()
    assert quote.state == QuoteState.SUPERSEDED
    return quote, response


def _another_card():
    VendorSubscription.objects.filter(pk=MONTHLY).update(payment_type="Mastercard", payment_type_id="CCA_MCA")


def _another_seat_count():
    VendorItem.objects.filter(subscription_id=MONTHLY).update(quantity=12)


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_only_another_card_is_not_called_a_price_change(anna_client, vendor, htmx):
    quote, response = _superseded(anna_client, _another_card, htmx=htmx)
    page = text(response) if htmx else text(anna_client.get(response["Location"]))
    page_de = text(anna_client.get(reverse("subscriptions:quote", args=[quote.superseded_by.public_id]), **DE))

    assert "The price changed" not in page
    assert "Something changed since you agreed. Nothing was charged." in page
    assert "The card on file is now another one (Mastercard ending in 765T)." in page
    assert page.count("Nothing was charged") == 1
    assert "Seit Ihrer Zustimmung hat sich etwas geändert. Es wurde nichts berechnet." in page_de
    assert "Die hinterlegte Karte ist jetzt eine andere (Mastercard mit Endziffern 765T)." in page_de


def test_another_seat_count_is_named(anna_client, vendor):
    _, response = _superseded(anna_client, _another_seat_count)
    page = text(anna_client.get(response["Location"]))

    assert "The item now has 12 seats, not 10, so the change now takes it to 27 seats." in page
    assert "The price changed since you agreed. Nothing was charged." in page  # 27 seats cost more, too
    assert "The price for each billing period went up from $2,000.00 to $2,160.00." in page


def test_a_lower_confirmed_charge_says_why(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    vendor.clock("2026-04-25T16:01:10Z")  # a day later: less of the month left
    commit(anna_client, quote)
    quote.refresh_from_db()
    assert quote.confirmed_charge_now_gross < quote.charge_now_gross
    url = reverse("subscriptions:receipt", args=[quote.public_id])

    page = text(anna_client.get(url))
    page_de = text(anna_client.get(url, **DE))

    assert (
        "You were charged $1,119.89 now instead of the quoted $1,159.89 because less time was left until "
        "23 May 2026 when you confirmed than when the price was quoted." in page
    ), page
    assert (
        "Ihnen wurden jetzt 1.119,89 $ statt der angebotenen 1.159,89 $ berechnet, weil beim Bestätigen "
        "weniger Zeit bis zum 23. Mai 2026 übrig war als beim Angebot." in page_de
    )


def test_the_same_charge_needs_no_explanation(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)
    page = text(anna_client.get(reverse("subscriptions:receipt", args=[quote.public_id])))
    assert "instead of the quoted" not in page
