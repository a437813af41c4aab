"""A change plans on the cached subscription and still catches what changed: the confirm reads and prices afresh,
every outcome after sending forgets the cached state, and a preview never uses the last known state."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from subscriptions import reads
from subscriptions.models import Quote, QuoteState
from tests.cast import MONTHLY, SCENARIO
from tests.changes.flows import commit, preview

PAGE = reverse("subscriptions:subscription", args=[MONTHLY])


def seats_shown(client) -> str:
    html = client.get(PAGE).content.decode()
    return html.split('<td data-label="Seats" class="num">', 1)[1].split("<", 1)[0]


def monthly_at_the_vendor(**changes) -> dict:
    subscription = copy.deepcopy(SCENARIO["subscriptions"][0])
    subscription.update(changes)
    return subscription


def test_the_preview_plans_on_the_cached_subscription_and_makes_one_call(anna_client, vendor_calls):
    anna_client.get(PAGE)
    vendor_calls.clear()

    response, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)

    assert response.status_code == 302 and quote is not None
    assert vendor_calls.methods() == ["increasesubscriptionitemquantity"]


def test_the_confirm_reads_afresh_and_catches_seats_changed_behind_the_cache(anna_client, vendor, vendor_calls):
    anna_client.get(PAGE)
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    items = [{"product_id": 293160, "quantity": 12}]
    vendor.load({"subscriptions": [monthly_at_the_vendor(items=items)]})
    vendor_calls.clear()

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.SUPERSEDED
    assert "quantity" in quote.ledger_entries.get(action="change.reconsent_required").data["reasons"]
    assert vendor_calls.methods() == ["getsubscription", "increasesubscriptionitemquantity"]  # read, preview
    assert vendor.purchases(MONTHLY) == []


def test_the_confirm_catches_a_card_changed_behind_the_cache(anna_client, vendor):
    anna_client.get(PAGE)
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    card = {"type": "Visa", "type_id": "CCA_VIS", "last_four": "1111", "expires": "2028-01"}
    vendor.load({"subscriptions": [monthly_at_the_vendor(payment=card)]})

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.SUPERSEDED
    assert "payment_method" in quote.ledger_entries.get(action="change.reconsent_required").data["reasons"]


def test_after_a_commit_the_page_shows_the_new_seats_at_once(anna_client, vendor_calls):
    assert seats_shown(anna_client) == "10"
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)
    vendor_calls.clear()

    assert seats_shown(anna_client) == "25"
    assert len(vendor_calls) == 1


@pytest.mark.parametrize(
    ("fault", "state", "seats"),
    [
        ({"mode": "error", "status": 402}, QuoteState.REJECTED, "10"),
        ({"mode": "apply_then_error", "status": 500}, QuoteState.OUTCOME_UNKNOWN, "25"),
        # A 429 blocks every call for the vendor's minute: the outcome is confirmed by reads once the block is over.
        ({"mode": "error", "status": 429}, QuoteState.OUTCOME_UNKNOWN, "10"),
    ],
)
def test_every_outcome_after_sending_forgets_the_cached_state(
    anna_client, vendor, vendor_calls, vendor_clock, settings, fault, state, seats
):
    settings.CLEVERBRIDGE_MAX_TRIES = 1
    anna_client.get(PAGE)
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    vendor.fault("increasesubscriptionitemquantity", on="commit", **fault)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == state and quote.commit_sent_at is not None
    vendor_clock.advance(61)
    vendor_calls.clear()
    assert seats_shown(anna_client) == seats
    assert vendor_calls.methods() == ["getsubscriptionsforcustomer"]  # read again, not served from before the commit


def test_a_preview_never_plans_on_the_last_known_state(anna_client, vendor, vendor_calls, monkeypatch, settings):
    anna_client.get(PAGE)
    later = timezone.now() + timedelta(seconds=settings.VENDOR_CACHE_FRESH_SECONDS + 1)
    monkeypatch.setattr(reads, "_now", lambda: later)
    vendor.fault("getsubscription", status=503, count=20)
    vendor_calls.clear()

    response, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)

    assert response.status_code == 503 and quote is None
    assert "increasesubscriptionitemquantity" not in vendor_calls.methods()
    assert not Quote.objects.exists()
