"""What a whole change costs in vendor calls, counted, and a payment notification making pages read again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from subscriptions.cleverbridge import IncreaseQuantity, get_client
from subscriptions.models import QuoteState
from tests.cast import MONTHLY
from tests.changes.flows import HTMX, commit, preview
from tests.notifications.conftest import ENDPOINT
from tests.notifications.payloads import body, paid_order

PAGE = reverse("subscriptions:subscription", args=[MONTHLY])
PREVIEW_OR_COMMIT = "increasesubscriptionitemquantity"


def seats_shown(client) -> str:
    html = client.get(PAGE).content.decode()
    return html.split('<td data-label="Seats" class="num">', 1)[1].split("<", 1)[0]


@pytest.mark.parametrize("from_the_list", [True, False], ids=["page after the list", "page opened directly"])
def test_a_whole_change_costs_four_calls_when_the_page_is_cached(anna_client, vendor_calls, queue, from_the_list):
    if from_the_list:
        assert anna_client.get("/").status_code == 200
        assert vendor_calls.methods() == ["getsubscriptionsforcustomer"]
        vendor_calls.clear()

    # From opening the subscription page to the receipt that says paid:
    assert anna_client.get(PAGE).status_code == 200
    page = vendor_calls.methods()
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    assert anna_client.get(reverse("subscriptions:quote", args=[quote.public_id])).status_code == 200
    commit(anna_client, quote)
    receipt = reverse("subscriptions:receipt", args=[quote.public_id])
    assert anna_client.get(receipt).status_code == 200
    assert anna_client.get(receipt, **HTMX).status_code == 200
    customer = vendor_calls.methods()

    queue.run()  # the vendor's notification arrives; the worker confirms it with one read
    worker = vendor_calls.methods()[len(customer) :]
    assert "Your change is done and paid." in anna_client.get(receipt, **HTMX).content.decode()

    assert page == ([] if from_the_list else ["getsubscriptionsforcustomer"])
    assert customer == [
        *page,
        PREVIEW_OR_COMMIT,  # the quote's preview, planned on the cached subscription
        "getsubscription",  # the confirm: a fresh read (card, seats, billing date)
        PREVIEW_OR_COMMIT,  # a fresh price, never above the consent
        PREVIEW_OR_COMMIT,  # the single commit
    ]
    assert len(customer) == (4 if from_the_list else 5)
    assert worker == ["getsubscription"]
    assert len(vendor_calls) == len(customer) + 1  # the polls made none
    quote.refresh_from_db()
    assert quote.state == QuoteState.PAID

    vendor_calls.clear()
    assert seats_shown(anna_client) == "25"
    assert len(vendor_calls) <= 1


def test_a_notification_makes_the_page_read_the_subscription_again(anna_client, client, vendor_calls, queue):
    assert seats_shown(anna_client) == "10"
    # a change made elsewhere: nothing here knows of it
    get_client().commit(IncreaseQuantity(subscription_id=MONTHLY, running_no=1, add_quantity=2))
    assert seats_shown(anna_client) == "10"  # the cache, within its bound

    response = client.post(ENDPOINT, body(paid_order(gross="154.67")), content_type="application/json")
    assert response.status_code == 200
    vendor_calls.clear()

    assert seats_shown(anna_client) == "12"
    assert vendor_calls.methods() == ["getsubscriptionsforcustomer"]
