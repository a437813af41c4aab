"""Undoing a change scheduled for the next billing date: the current product and seats sent again."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from subscriptions import reads
from subscriptions.formatting import consent_text
from subscriptions.models import ChangeKind, QuoteState
from subscriptions.reconcile import reconcile_due
from subscriptions.services import ChangeNotAllowed
from tests.cast import CLOUDIFY_M, MONTHLY
from tests.changes.scheduled import actions, commit, quote

UPDATE = "updatesubscriptionitem"


@pytest.fixture(autouse=True)
def _one_try(settings):
    settings.CLEVERBRIDGE_MAX_TRIES = 1


@pytest.fixture
def reduced(anna, catalog, vendor):
    """Eight seats instead of ten from 23 May 2026, scheduled."""
    commit(anna, quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8))
    assert reads.subscription_fresh(subscription_id=MONTHLY).scheduled_item(1).quantity == 8


def test_the_undo_is_priced_by_the_vendor_and_says_what_stays(anna, reduced):
    undo = quote(anna, MONTHLY, ChangeKind.UNDO, running_no=1)

    assert (undo.product_id, undo.new_product_id) == (CLOUDIFY_M, CLOUDIFY_M)
    assert (undo.quantity_before, undo.quantity_after) == (8, 10)  # what was scheduled, what stays
    assert undo.commit_request["UpdateAction"] == "Update" and undo.commit_request["Quantity"] == 10
    assert undo.charge_now_gross == 0 and undo.next_billing_gross == D("800.00")
    assert consent_text(undo, language="en") == (
        "I agree to undo the change scheduled for 23 May 2026: subscription S68574751 keeps 10 seats of Cloudify M. "
        "Nothing is charged now. From 23 May 2026, $800.00 ($672.27 net plus $127.73 VAT) will be billed per month."
    )
    assert consent_text(undo, language="de").replace("\xa0", " ") == (
        "Ich stimme zu, die für 23. Mai 2026 geplante Änderung zurückzunehmen: Abonnement S68574751 behält 10 Plätze "
        "von Cloudify M. Jetzt wird nichts berechnet. Ab 23. Mai 2026 werden 800,00 $ (672,27 $ netto zuzüglich "
        "127,73 $ MwSt.) monatlich berechnet."
    )


def test_commit_removes_the_scheduled_version(anna, reduced, vendor):
    outcome = commit(anna, quote(anna, MONTHLY, ChangeKind.UNDO, running_no=1))

    assert outcome.state == QuoteState.COMMITTED and not outcome.quote.awaiting_confirmation
    subscription = reads.subscription_fresh(subscription_id=MONTHLY)
    assert subscription.scheduled_item(1) is None and subscription.item(1).quantity == 10
    assert subscription.next_billing.gross == D("800.00")
    assert vendor.purchases(MONTHLY) == []


def test_nothing_scheduled_nothing_to_undo(anna, catalog, vendor):
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.UNDO, running_no=1)


def test_an_unknown_outcome_is_settled_by_reads_and_never_sent_again(anna, reduced, vendor, vendor_calls):
    undo = quote(anna, MONTHLY, ChangeKind.UNDO, running_no=1)
    vendor.fault(UPDATE, on="commit", mode="apply_then_error", status=500)
    vendor_calls.clear()

    assert commit(anna, undo).state == QuoteState.OUTCOME_UNKNOWN
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    undo.refresh_from_db()
    assert undo.state == QuoteState.COMMITTED
    assert vendor_calls.methods().count(UPDATE) == 2  # the fresh preview and the one commit
    assert "change.confirmed_applied" in actions(undo)


def test_an_unknown_outcome_not_applied_fails(anna, reduced, vendor, settings):
    settings.RECONCILE_GRACE_SECONDS = 0
    undo = quote(anna, MONTHLY, ChangeKind.UNDO, running_no=1)
    vendor.fault(UPDATE, on="commit", mode="error", status=500)

    assert commit(anna, undo).state == QuoteState.OUTCOME_UNKNOWN
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    undo.refresh_from_db()
    assert undo.state == QuoteState.FAILED
    assert reads.subscription_fresh(subscription_id=MONTHLY).scheduled_item(1).quantity == 8


def test_the_vendor_refusing_is_verified_by_a_read(anna, reduced, vendor):
    undo = quote(anna, MONTHLY, ChangeKind.UNDO, running_no=1)
    vendor.fault(UPDATE, on="commit", mode="error", status=402)

    assert commit(anna, undo).state == QuoteState.REJECTED


def test_an_undo_not_applied_fails_also_when_the_billing_date_has_passed(anna, reduced, vendor, settings):
    settings.RECONCILE_GRACE_SECONDS = 0
    undo = quote(anna, MONTHLY, ChangeKind.UNDO, running_no=1)
    vendor.fault(UPDATE, on="commit", mode="error", status=500)
    assert commit(anna, undo).state == QuoteState.OUTCOME_UNKNOWN

    vendor.clock("2026-05-24T10:00:00Z")  # the eight seats it was to undo are now the current version
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    undo.refresh_from_db()
    assert (undo.state, undo.needs_support) == (QuoteState.FAILED, False)
    assert reads.subscription_fresh(subscription_id=MONTHLY).item(1).quantity == 8
