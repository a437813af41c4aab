"""Reactivating an add-on: a deactivated item comes back (billed from the next billing date), or a scheduled
removal is withdrawn. Priced from the vendor's read; the vendor's reinstatement notification confirms it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from subscriptions import reads
from subscriptions.formatting import consent_text
from subscriptions.models import AddOn, ChangeKind, QuoteState
from subscriptions.reconcile import reconcile_due
from subscriptions.services import ChangeNotAllowed
from tests.cast import MONTHLY
from tests.changes.addon_scenario import scenario  # noqa: F401
from tests.changes.scheduled import actions, commit, entry, quote

REINSTATE = "reinstatesubscriptionitems"


@pytest.fixture(autouse=True)
def _one_try(settings):
    settings.CLEVERBRIDGE_MAX_TRIES = 1


@pytest.fixture
def removed(anna, catalog, vendor):
    """Cloudify Backup removed at the billing date of 23 May 2026, now past it (the next is 23 June)."""
    commit(anna, quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2))
    vendor.clock("2026-05-24T10:00:00Z")
    assert reads.subscription_fresh(subscription_id=MONTHLY).item(2).is_deactivated


def test_a_deactivated_add_on_is_quoted_from_the_read(anna, removed, vendor, vendor_calls):
    back = quote(anna, MONTHLY, ChangeKind.REACTIVATE, running_no=2)

    assert vendor_calls.methods() == ["getsubscription"]
    assert (back.quantity_before, back.quantity_after, back.effective_at) == (0, 1, None)
    assert back.charge_now_gross == 0 and back.next_billing_gross == D("815.00")
    assert back.commit_request == {"SubscriptionId": "S68574751", "Items": [2], "GenerateMail": True}
    assert entry(back, "change.quoted")["priced_by"] == "getsubscription"
    assert consent_text(back, language="en") == (
        "I agree to reactivate Cloudify Backup on subscription S68574751. It is active again now and billed again "
        "from 23 June 2026. Nothing is charged now. From 23 June 2026, $815.00 ($684.87 net plus $130.13 VAT) "
        "will be billed per month."
    )
    assert consent_text(back, language="de").replace("\xa0", " ") == (
        "Ich stimme zu, Cloudify Backup in Abonnement S68574751 wieder zu aktivieren. Es ist ab sofort wieder aktiv "
        "und wird ab 23. Juni 2026 wieder berechnet. Jetzt wird nichts berechnet. Ab 23. Juni 2026 werden 815,00 $ "
        "(684,87 $ netto zuzüglich 130,13 $ MwSt.) monatlich berechnet."
    )


def test_commit_reinstates_it_and_charges_nothing_now(anna, removed, vendor):
    outcome = commit(anna, quote(anna, MONTHLY, ChangeKind.REACTIVATE, running_no=2))

    assert outcome.state == QuoteState.COMMITTED and not outcome.quote.awaiting_confirmation
    subscription = reads.subscription_fresh(subscription_id=MONTHLY)
    assert subscription.item(2).is_active and subscription.item(2).deactivation_date is None
    assert subscription.next_billing.gross == D("815.00")
    assert [p for p in vendor.all_purchases(MONTHLY) if p["Category"] == "Alignment"] == []


def test_a_scheduled_removal_is_kept(anna, catalog, vendor):
    commit(anna, quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2))
    keep = quote(anna, MONTHLY, ChangeKind.REACTIVATE, running_no=2)

    assert (keep.quantity_before, keep.quantity_after) == (1, 1)
    assert keep.next_billing_gross == D("815.00")
    assert consent_text(keep, language="en").startswith(
        "I agree to keep Cloudify Backup on subscription S68574751: its removal on 23 May 2026 is undone. "
    )
    assert "zurückgenommen" in consent_text(keep, language="de")

    assert commit(anna, keep).state == QuoteState.COMMITTED
    assert not reads.subscription_fresh(subscription_id=MONTHLY).item(2).removal_scheduled


def test_an_active_add_on_has_nothing_to_reactivate(anna, catalog, vendor):
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.REACTIVATE, running_no=2)


def test_a_product_no_longer_in_the_catalog_is_not_offered(anna, removed):
    AddOn.objects.filter(vendor_product_id=293161).delete()
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.REACTIVATE, running_no=2)


def test_the_vendor_refusing_is_verified_by_a_read(anna, removed, vendor):
    back = quote(anna, MONTHLY, ChangeKind.REACTIVATE, running_no=2)
    vendor.fault(REINSTATE, mode="error", status=402)

    assert commit(anna, back).state == QuoteState.REJECTED
    assert reads.subscription_fresh(subscription_id=MONTHLY).item(2).is_deactivated


def test_an_unknown_outcome_is_settled_by_reads_and_never_sent_again(anna, removed, vendor, vendor_calls):
    back = quote(anna, MONTHLY, ChangeKind.REACTIVATE, running_no=2)
    vendor.fault(REINSTATE, mode="apply_then_error", status=500)
    vendor_calls.clear()

    assert commit(anna, back).state == QuoteState.OUTCOME_UNKNOWN
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    back.refresh_from_db()
    assert back.state == QuoteState.COMMITTED
    assert vendor_calls.methods().count(REINSTATE) == 1
    assert "change.confirmed_applied" in actions(back)


def test_an_unknown_outcome_not_applied_fails(anna, removed, vendor, settings):
    settings.RECONCILE_GRACE_SECONDS = 0
    back = quote(anna, MONTHLY, ChangeKind.REACTIVATE, running_no=2)
    vendor.fault(REINSTATE, mode="error", status=500)

    assert commit(anna, back).state == QuoteState.OUTCOME_UNKNOWN
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    back.refresh_from_db()
    assert back.state == QuoteState.FAILED
