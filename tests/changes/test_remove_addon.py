"""Removing an add-on at the next billing date: priced from the vendor's read, applied once, settled by reads."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from subscriptions import reads
from subscriptions.catalog import catalog_changed
from subscriptions.formatting import consent_text
from subscriptions.models import AddOn, ChangeKind, QuoteState
from subscriptions.reconcile import reconcile_due
from subscriptions.services import ChangeNotAllowed
from tests.cast import MONTHLY, YEARLY
from tests.changes.addon_scenario import scenario  # noqa: F401
from tests.changes.scheduled import actions, commit, entry, quote

BILLING_DATE = datetime(2026, 5, 23, 15, 57, 14, 106747, tzinfo=UTC)
DEACTIVATE = "deactivatesubscriptionitems"


@pytest.fixture(autouse=True)
def _one_try(settings):
    settings.CLEVERBRIDGE_MAX_TRIES = 1


def test_the_quote_takes_the_vendors_figures_from_a_read(anna, catalog, vendor, vendor_calls):
    removal = quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2)

    assert vendor_calls.methods() == ["getsubscription"]  # no preview exists for this method
    assert (removal.kind, removal.running_no, removal.product_name) == ("remove_addon", 2, "Cloudify Backup")
    assert (removal.quantity_before, removal.quantity_after) == (1, 0)
    assert removal.charge_now_gross == 0
    assert (removal.next_billing_gross, removal.next_billing_net, removal.next_billing_vat) == (
        D("800.00"),
        D("672.27"),
        D("127.73"),
    )
    assert removal.effective_at == BILLING_DATE
    assert removal.commit_request == {"SubscriptionId": "S68574751", "Items": [2], "GenerateMail": True}
    assert entry(removal, "change.quoted")["priced_by"] == "getsubscription"
    assert consent_text(removal, language="en") == (
        "I agree to remove Cloudify Backup from subscription S68574751 on 23 May 2026. It stays active and billed "
        "until then and is not renewed. Nothing is charged now. From 23 May 2026, $800.00 ($672.27 net plus "
        "$127.73 VAT) will be billed per month."
    )
    assert consent_text(removal, language="de").replace("\xa0", " ") == (
        "Ich stimme zu, Cloudify Backup am 23. Mai 2026 aus Abonnement S68574751 zu entfernen. Bis dahin bleibt es "
        "aktiv und wird berechnet; danach wird es nicht verlängert. Jetzt wird nichts berechnet. Ab 23. Mai 2026 "
        "werden 800,00 $ (672,27 $ netto zuzüglich 127,73 $ MwSt.) monatlich berechnet."
    )


def test_commit_schedules_the_removal_and_the_vendor_agrees_on_the_amount(anna, catalog, vendor, vendor_calls):
    removal = quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2)
    vendor_calls.clear()

    outcome = commit(anna, removal)

    assert outcome.state == QuoteState.COMMITTED and not outcome.quote.awaiting_confirmation
    assert vendor_calls.methods() == ["getsubscription", DEACTIVATE]
    subscription = reads.subscription_fresh(subscription_id=MONTHLY)
    backup = subscription.item(2)
    assert backup.is_active and backup.removal_scheduled and backup.deactivation_date == BILLING_DATE
    assert subscription.next_billing.gross == removal.next_billing_gross
    assert subscription.next_billing.net == removal.next_billing_net
    assert actions(outcome.quote) == ["change.quoted", "change.consented", "change.commit_sent", "change.committed"]
    assert entry(outcome.quote, "change.committed")["vendor"]["method"] == DEACTIVATE


def test_at_the_billing_date_the_add_on_is_deactivated(anna, catalog, vendor):
    commit(anna, quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2))

    vendor.clock("2026-05-23T16:00:00Z")

    subscription = reads.subscription_fresh(subscription_id=MONTHLY)
    assert subscription.item(2).is_deactivated
    renewals = [p for p in vendor.all_purchases(MONTHLY) if p["Category"] != "New"]
    assert sum(D(str(p["GrossPrice"])) for p in renewals) == D("800.00")


def test_never_the_main_plan_nor_an_add_on_the_catalog_keeps(anna, catalog, vendor):
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=1)  # Cloudify M is no add-on of anything held
    with pytest.raises(ChangeNotAllowed):
        quote(anna, YEARLY, ChangeKind.REMOVE_ADDON, running_no=1)  # the only item
    AddOn.objects.update(removable=False)
    catalog_changed()
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2)


def test_a_scheduled_removal_offers_only_to_keep_it(anna, catalog, vendor):
    commit(anna, quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2))
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2)


def test_the_vendor_refusing_is_verified_by_a_read(anna, catalog, vendor):
    removal = quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2)
    vendor.fault(DEACTIVATE, mode="error", status=402)

    outcome = commit(anna, removal)

    assert outcome.state == QuoteState.REJECTED
    assert not reads.subscription_fresh(subscription_id=MONTHLY).item(2).removal_scheduled


def test_the_vendor_too_busy_leaves_it_to_be_confirmed_by_reads(anna, catalog, vendor, settings):
    """A 429 blocks every call for a minute, the confirming read too: the outcome waits for the reads after it."""
    removal = quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2)
    vendor.fault(DEACTIVATE, mode="error", status=429)

    outcome = commit(anna, removal)

    assert outcome.state == QuoteState.OUTCOME_UNKNOWN
    assert vendor.subscription(MONTHLY)["Items"][1]["DeactivationDate"] is None


def test_an_unknown_outcome_is_settled_by_reads_and_never_sent_again(anna, catalog, vendor, vendor_calls, settings):
    removal = quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2)
    vendor.fault(DEACTIVATE, mode="apply_then_error", status=500)
    vendor_calls.clear()

    assert commit(anna, removal).state == QuoteState.OUTCOME_UNKNOWN
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    removal.refresh_from_db()
    assert removal.state == QuoteState.COMMITTED
    assert vendor_calls.methods().count(DEACTIVATE) == 1
    assert "change.confirmed_applied" in actions(removal)


def test_an_unknown_outcome_not_applied_fails_after_the_grace(anna, catalog, vendor, settings):
    settings.RECONCILE_GRACE_SECONDS = 0
    removal = quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2)
    vendor.fault(DEACTIVATE, mode="error", status=500)

    assert commit(anna, removal).state == QuoteState.OUTCOME_UNKNOWN
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    removal.refresh_from_db()
    assert removal.state == QuoteState.FAILED
