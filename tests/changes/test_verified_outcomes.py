"""A commit answered with an error is settled by reading the subscription before the customer is told anything final.

The sandbox's `apply_then_error` applies and charges the change, then answers with an error: the receipt must say
so. A plain refusal applies nothing: it ends rejected, after a read showed the item unchanged.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from subscriptions.cleverbridge import IncreaseQuantity
from subscriptions.cleverbridge import client as cleverbridge
from subscriptions.models import LedgerEntry, QuoteState
from subscriptions.reconcile import reconcile_due
from tests.cast import CLOUDIFY_M, MONTHLY
from tests.changes.flows import commit, preview
from tests.changes.test_vendor_faults import UnreachableForCommit
from tests.vendor import SANDBOX_AUTH

METHOD = "increasesubscriptionitemquantity"
CHARGED = "The billing provider reported an error, but the change was applied and charged."
NOTHING = "Nothing was charged."


@pytest.fixture(autouse=True)
def _one_try(settings):
    settings.CLEVERBRIDGE_MAX_TRIES = 1


def _receipt(anna_client, quote) -> str:
    return anna_client.get(reverse("subscriptions:receipt", args=[quote.public_id])).content.decode()


def _outside_increase(vendor, quantity: int) -> None:
    """The same change made at the vendor directly (its portal, support): no quote of ours stands for it."""
    response = vendor.client.post(
        f"/sandbox/api/subscription/{METHOD}",
        IncreaseQuantity(subscription_id=MONTHLY, running_no=1, add_quantity=quantity).request_body(preview=False),
        content_type="application/json",
        HTTP_AUTHORIZATION=SANDBOX_AUTH,
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content


def _settled_after_the_block(quote, status: int, vendor_clock) -> None:
    """A 429 blocks every call for the vendor's minute: the customer reads "we are confirming" until a read is made."""
    if status != 429:
        return
    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN
    vendor_clock.advance(61)
    reconcile_due(now=timezone.now() + timedelta(seconds=settings.RECONCILE_GRACE_SECONDS + 1))


@pytest.mark.parametrize("status", [429, 400])
def test_a_change_applied_then_answered_with_an_error_is_committed_and_flagged(
    anna_client, vendor, vendor_clock, status
):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    vendor.fault(METHOD, on="commit", mode="apply_then_error", status=status)

    response = commit(anna_client, quote)
    _settled_after_the_block(quote, status, vendor_clock)

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    assert quote.needs_support and quote.support_flagged_at is not None
    assert len(vendor.purchases(MONTHLY)) == 1
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 11
    flagged = LedgerEntry.objects.get(quote=quote, action="change.charged_after_error")
    assert flagged.data["error"]["status"] == status
    assert flagged.data["subscription"]["applied"] == "applied"
    assert {"running_no": 1, "product_id": CLOUDIFY_M, "quantity": 11, "status": 1} in flagged.data["subscription"][
        "items"
    ]
    assert LedgerEntry.objects.filter(quote=quote, action="change.commit_sent").count() == 1
    page = anna_client.get(response["Location"]).content.decode()
    assert CHARGED in page
    assert NOTHING not in page


@pytest.mark.parametrize("status", [402, 400])
def test_a_refusal_that_applied_nothing_is_rejected_after_a_read(anna_client, vendor, status):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    vendor.fault(METHOD, on="commit", mode="error", status=status)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.REJECTED and not quote.needs_support
    assert vendor.purchases(MONTHLY) == []
    entry = LedgerEntry.objects.get(quote=quote, action="change.rejected")
    assert entry.data["error"]["status"] == status
    assert entry.data["subscription"]["applied"] == "not_applied"
    page = _receipt(anna_client, quote)
    assert "The change was not made. Nothing was charged." in page
    assert CHARGED not in page


def test_a_commit_that_never_left_is_not_sent_without_a_read(anna_client, vendor, monkeypatch):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    monkeypatch.setattr(cleverbridge, "make_transport", UnreachableForCommit)
    reads = []
    original = cleverbridge.CleverbridgeClient.get_subscription

    def counted(self, subscription_id):
        reads.append(subscription_id)
        return original(self, subscription_id)

    monkeypatch.setattr(cleverbridge.CleverbridgeClient, "get_subscription", counted)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.NOT_SENT
    assert len(reads) == 1  # the fresh check before sending; nothing after
    assert "The change was not sent. Nothing was charged." in _receipt(anna_client, quote)


def test_an_unreadable_subscription_after_a_refusal_leaves_the_outcome_to_confirm(anna_client, vendor, monkeypatch):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    vendor.fault(METHOD, on="commit", mode="apply_then_error", status=400)
    calls = {"reads": 0}
    original = cleverbridge.CleverbridgeClient.get_subscription

    def second_read_fails(self, subscription_id):
        calls["reads"] += 1
        if calls["reads"] == 2:
            raise cleverbridge.Unavailable("down", method="getsubscription")
        return original(self, subscription_id)

    monkeypatch.setattr(cleverbridge.CleverbridgeClient, "get_subscription", second_read_fails)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN
    assert "We are confirming your change." in _receipt(anna_client, quote)
    monkeypatch.setattr(cleverbridge.CleverbridgeClient, "get_subscription", original)

    reconcile_due(now=timezone.now() + timedelta(minutes=1))

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED and quote.needs_support
    assert LedgerEntry.objects.filter(quote=quote, action="change.charged_after_error").count() == 1
    assert CHARGED in _receipt(anna_client, quote)


def test_a_change_applied_after_its_refusal_is_found_and_flagged(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    vendor.fault(METHOD, on="commit", mode="error", status=402)
    commit(anna_client, quote)
    quote.refresh_from_db()
    assert quote.state == QuoteState.REJECTED

    _outside_increase(vendor, 1)  # the vendor applies it after all, late
    reconcile_due(now=timezone.now() + timedelta(minutes=1))

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED and quote.needs_support
    entry = LedgerEntry.objects.get(quote=quote, action="change.charged_after_error")
    assert entry.data["error"]["status"] == 402
    page = _receipt(anna_client, quote)
    assert CHARGED in page and NOTHING not in page


def test_a_refused_change_is_watched_only_for_a_bounded_time(anna_client, vendor, settings):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    vendor.fault(METHOD, on="commit", mode="error", status=402)
    commit(anna_client, quote)

    _outside_increase(vendor, 1)
    reconcile_due(now=timezone.now() + timedelta(hours=settings.RECONCILE_AFTER_ERROR_HOURS, minutes=1))

    quote.refresh_from_db()
    assert quote.state == QuoteState.REJECTED
    assert quote.next_reconcile_at is None


def test_a_refused_change_retried_successfully_is_not_taken_for_a_late_one(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    vendor.fault(METHOD, on="commit", mode="error", status=402)
    commit(anna_client, quote)
    _, again = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    commit(anna_client, again)
    again.refresh_from_db()
    assert again.state == QuoteState.COMMITTED

    reconcile_due(now=timezone.now() + timedelta(minutes=1))

    quote.refresh_from_db()
    assert quote.state == QuoteState.REJECTED and not quote.needs_support
    assert quote.next_reconcile_at is None


def test_an_error_answer_resolved_by_reads_is_flagged_too(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    vendor.fault(METHOD, on="commit", mode="apply_then_error", status=500)
    commit(anna_client, quote)
    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN

    reconcile_due(now=timezone.now() + timedelta(minutes=1))

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED and quote.needs_support
    entry = LedgerEntry.objects.get(quote=quote, action="change.charged_after_error")
    assert entry.data["error"]["status"] == 500
    assert CHARGED in _receipt(anna_client, quote)


def test_the_german_receipt_tells_the_same_truth(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    vendor.fault(METHOD, on="commit", mode="apply_then_error", status=400)
    commit(anna_client, quote)

    page = anna_client.get(
        reverse("subscriptions:receipt", args=[quote.public_id]), HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()

    assert "wurde trotzdem ausgeführt und berechnet" in page
