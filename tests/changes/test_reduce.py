"""Fewer seats from the next billing date: quoted by the vendor's preview, nothing charged now, scheduled."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from subscriptions import reads
from subscriptions.cleverbridge import CleverbridgeClient, Prices
from subscriptions.formatting import consent_text
from subscriptions.models import CatalogProduct, ChangeKind, QuoteState
from subscriptions.reconcile import reconcile_due
from subscriptions.services import ChangeNotAllowed
from tests.cast import CLOUDIFY_M, MONTHLY
from tests.changes.scheduled import actions, commit, entry, quote

BILLING_DATE = datetime(2026, 5, 23, 15, 57, 14, 106747, tzinfo=UTC)
UPDATE = "updatesubscriptionitem"


@pytest.fixture(autouse=True)
def _one_try(settings):
    settings.CLEVERBRIDGE_MAX_TRIES = 1


def test_the_quote_says_what_the_next_billing_will_be_and_changes_nothing(anna, catalog, vendor):
    reduced = quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8)

    assert (reduced.kind, reduced.quantity_before, reduced.quantity_after) == ("reduce", 10, 8)
    assert reduced.charge_now_gross == 0
    assert (reduced.next_billing_gross, reduced.next_billing_net, reduced.next_billing_vat) == (
        D("640.00"),
        D("537.82"),
        D("102.18"),
    )
    assert reduced.effective_at == BILLING_DATE
    assert reduced.commit_request["AlignmentSettings"]["AlignToCurrentInterval"] is False
    assert reduced.commit_request["UpdateAction"] == "Downgrade"
    assert vendor.subscription(MONTHLY)["NextBillingCustomerGrossPrice"] == D("800.00")
    assert entry(reduced, "change.quoted")["effective_at"] == BILLING_DATE.isoformat()


def test_consent_text_in_english_and_german(anna, catalog, vendor):
    reduced = quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8)

    assert consent_text(reduced, language="en") == (
        "I agree that from 23 May 2026 subscription S68574751 has 8 seats of Cloudify M instead of 10. "
        "Nothing is charged now. From 23 May 2026, $640.00 ($537.82 net plus $102.18 VAT) will be billed per month."
    )
    assert consent_text(reduced, language="de").replace("\xa0", " ") == (
        "Ich stimme zu, dass Abonnement S68574751 ab 23. Mai 2026 8 Plätze von Cloudify M statt 10 hat. "
        "Jetzt wird nichts berechnet. Ab 23. Mai 2026 werden 640,00 $ (537,82 $ netto zuzüglich 102,18 $ MwSt.) "
        "monatlich berechnet."
    )


def test_commit_schedules_the_seats_charges_nothing_and_is_final(anna, catalog, vendor):
    reduced = quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8)

    outcome = commit(anna, reduced)

    assert outcome.state == QuoteState.COMMITTED
    assert not outcome.quote.awaiting_confirmation  # nothing charged, so no payment is expected
    subscription = reads.subscription_fresh(subscription_id=MONTHLY)
    assert subscription.item(1).quantity == 10
    scheduled = subscription.scheduled_item(1)
    assert (scheduled.product_id, scheduled.quantity, scheduled.version_active) == (CLOUDIFY_M, 8, BILLING_DATE)
    assert vendor.purchases(MONTHLY) == []
    assert actions(outcome.quote) == [
        "change.quoted",
        "change.consented",
        "change.commit_sent",
        "change.committed",
    ]


def test_the_renewal_charges_the_fewer_seats(anna, catalog, vendor):
    commit(anna, quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8))

    vendor.clock("2026-05-23T16:00:00Z")

    subscription = reads.subscription_fresh(subscription_id=MONTHLY)
    assert subscription.item(1).quantity == 8 and subscription.scheduled_item(1) is None
    renewals = [p for p in vendor.all_purchases(MONTHLY) if p["Category"] != "New"]
    assert [D(str(p["GrossPrice"])) for p in renewals] == [D("640.00")]


@pytest.mark.parametrize(
    ("quantity", "message"),
    [(10, "between 1 and 9"), (0, "between 1 and 9"), (None, "how many seats to keep")],
)
def test_refused_totals(anna, catalog, vendor, quantity, message):
    with pytest.raises(ChangeNotAllowed, match=message):
        quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=quantity)


def test_not_below_the_catalogs_fewest_seats(anna, catalog, vendor):
    CatalogProduct.objects.filter(vendor_product_id=CLOUDIFY_M).update(min_total_seats=5)
    with pytest.raises(ChangeNotAllowed, match="between 5 and 9"):
        quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=4)


def test_not_offered_when_the_catalog_says_so(anna, catalog, vendor):
    CatalogProduct.objects.filter(vendor_product_id=CLOUDIFY_M).update(reduce_offered=False)
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8)


def test_a_second_change_to_a_scheduled_item_is_refused_until_undone(anna, catalog, vendor):
    commit(anna, quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8))
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=5)
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.INCREASE, running_no=1, quantity=1)


def test_the_vendor_refusing_the_commit_is_verified_by_a_read(anna, catalog, vendor):
    reduced = quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8)
    vendor.fault(UPDATE, on="commit", mode="error", status=402)

    outcome = commit(anna, reduced)

    assert outcome.state == QuoteState.REJECTED
    assert reads.subscription_fresh(subscription_id=MONTHLY).scheduled_item(1) is None


def test_an_unknown_outcome_is_settled_by_reads_and_never_sent_again(anna, catalog, vendor, vendor_calls, settings):
    settings.RECONCILE_GRACE_SECONDS = 0
    reduced = quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8)
    vendor.fault(UPDATE, on="commit", mode="apply_then_error", status=500)
    vendor_calls.clear()

    outcome = commit(anna, reduced)
    assert outcome.state == QuoteState.OUTCOME_UNKNOWN

    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))
    reduced.refresh_from_db()
    assert reduced.state == QuoteState.COMMITTED
    sent = [m for m in vendor_calls.methods() if m == UPDATE]
    assert len(sent) == 2  # the fresh preview and the one commit; reconciling only read
    assert "change.confirmed_applied" in actions(reduced)


def test_an_unknown_outcome_not_applied_fails_after_the_grace(anna, catalog, vendor, settings):
    settings.RECONCILE_GRACE_SECONDS = 0
    reduced = quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8)
    vendor.fault(UPDATE, on="commit", mode="error", status=500)

    outcome = commit(anna, reduced)
    assert outcome.state == QuoteState.OUTCOME_UNKNOWN

    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))
    reduced.refresh_from_db()
    assert reduced.state == QuoteState.FAILED
    assert reads.subscription_fresh(subscription_id=MONTHLY).scheduled_item(1) is None


def _charging_now(monkeypatch, amount: str) -> None:
    """The vendor misbehaving: its preview of a change at the next billing date asks for money now."""
    real = CleverbridgeClient.preview

    def preview(self, change):
        answer = real(self, change)
        charge = Prices(gross=D(amount), net=D(amount), vat=D(0), currency=answer.currency)
        return replace(answer, charge_now=charge)

    monkeypatch.setattr(CleverbridgeClient, "preview", preview)


def test_a_preview_asking_for_money_now_is_never_quoted(anna, catalog, vendor, monkeypatch):
    _charging_now(monkeypatch, "5.00")

    with pytest.raises(ChangeNotAllowed, match="would charge this change now"):
        quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8)


def test_a_fresh_preview_asking_for_money_now_is_never_sent(anna, catalog, vendor, monkeypatch):
    reduce = quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8)
    _charging_now(monkeypatch, "5.00")

    assert commit(anna, reduce).quote.state == QuoteState.REJECTED
    assert vendor.subscription(MONTHLY)["Items"][0]["Quantity"] == 10
    assert reads.subscription_fresh(subscription_id=MONTHLY).scheduled_item(1) is None
