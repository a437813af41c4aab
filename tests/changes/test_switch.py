"""Plan switches: now (charged pro rata, paid by notification) or at the next billing date (nothing now)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from subscriptions import reads
from subscriptions.catalog import catalog_changed
from subscriptions.cleverbridge import Rejected
from subscriptions.formatting import consent_text
from subscriptions.models import ChangeKind, PlanSwitch, Quote, QuoteState
from subscriptions.reconcile import reconcile_due
from subscriptions.services import ChangeNotAllowed
from tests.cast import CLOUDIFY_L, CLOUDIFY_M, MONTHLY, YEARLY, with_plans
from tests.changes.scheduled import actions, commit, quote

BILLING_DATE = datetime(2026, 5, 23, 15, 57, 14, 106747, tzinfo=UTC)
UPDATE = "updatesubscriptionitem"


@pytest.fixture
def scenario(scenario):
    """The cast's vendor data with the dearer monthly plan the demo catalog switches to."""
    return with_plans(scenario, CLOUDIFY_L)


@pytest.fixture(autouse=True)
def _one_try(settings):
    settings.CLEVERBRIDGE_MAX_TRIES = 1


def test_switching_later_is_quoted_at_the_new_plans_price_and_charges_nothing(anna, catalog, vendor):
    switch = quote(anna, MONTHLY, ChangeKind.SWITCH_LATER, running_no=1, product_id=CLOUDIFY_L)

    assert (switch.product_id, switch.new_product_id, switch.new_product_name) == (CLOUDIFY_M, CLOUDIFY_L, "Cloudify L")
    assert (switch.quantity_before, switch.quantity_after) == (10, 10)
    assert switch.charge_now_gross == 0 and switch.next_billing_gross == D("1200.00")
    assert switch.effective_at == BILLING_DATE
    assert consent_text(switch, language="en") == (
        "I agree that from 23 May 2026 subscription S68574751 has 10 seats of Cloudify L instead of Cloudify M. "
        "Nothing is charged now. From 23 May 2026, $1,200.00 ($1,008.40 net plus $191.60 VAT) will be billed "
        "per month."
    )
    assert consent_text(switch, language="de").replace("\xa0", " ") == (
        "Ich stimme zu, dass Abonnement S68574751 ab 23. Mai 2026 10 Plätze von Cloudify L statt Cloudify M hat. "
        "Jetzt wird nichts berechnet. Ab 23. Mai 2026 werden 1.200,00 $ (1.008,40 $ netto zuzüglich 191,60 $ MwSt.) "
        "monatlich berechnet."
    )


def test_switching_later_schedules_the_new_plan(anna, catalog, vendor):
    outcome = commit(anna, quote(anna, MONTHLY, ChangeKind.SWITCH_LATER, running_no=1, product_id=CLOUDIFY_L))

    assert outcome.state == QuoteState.COMMITTED and not outcome.quote.awaiting_confirmation
    subscription = reads.subscription_fresh(subscription_id=MONTHLY)
    assert subscription.item(1).product_id == CLOUDIFY_M
    assert (subscription.scheduled_item(1).product_id, subscription.scheduled_item(1).quantity) == (CLOUDIFY_L, 10)
    assert vendor.purchases(MONTHLY) == []


def test_switching_now_charges_the_difference_for_the_rest_of_the_month(anna, catalog, vendor):
    switch = quote(anna, MONTHLY, ChangeKind.SWITCH_NOW, running_no=1, product_id=CLOUDIFY_L)

    assert switch.effective_at is None
    assert switch.charge_now_gross > 0 and switch.next_billing_gross == D("1200.00")
    text = consent_text(switch, language="en")
    assert text.startswith(
        "I agree to switch subscription S68574751 from Cloudify M to Cloudify L now, keeping 10 seats. "
    )
    assert "will be charged now to my Visa ending in 765T for the remaining time until 23 May 2026" in text
    assert "Jetzt" not in text and "umzustellen" in consent_text(switch, language="de")

    outcome = commit(anna, switch)

    assert outcome.state == QuoteState.COMMITTED
    assert outcome.quote.awaiting_confirmation  # charged now: the paid notification is expected
    assert reads.subscription_fresh(subscription_id=MONTHLY).item(1).product_id == CLOUDIFY_L
    assert [D(str(p["GrossPrice"])) for p in vendor.purchases(MONTHLY)] == [switch.charge_now_gross]


def test_only_the_catalogs_plans_and_only_when_offered(anna, catalog, vendor):
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.SWITCH_NOW, running_no=1, product_id=293161)
    with pytest.raises(ChangeNotAllowed, match="plan"):
        quote(anna, MONTHLY, ChangeKind.SWITCH_NOW, running_no=1)
    with pytest.raises(ChangeNotAllowed):
        quote(anna, YEARLY, ChangeKind.SWITCH_LATER, running_no=1, product_id=CLOUDIFY_L)
    PlanSwitch.objects.update(when=PlanSwitch.When.BILLING_DATE)
    catalog_changed()
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.SWITCH_NOW, running_no=1, product_id=CLOUDIFY_L)
    PlanSwitch.objects.update(active=False)
    catalog_changed()
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.SWITCH_LATER, running_no=1, product_id=CLOUDIFY_L)


def test_the_vendor_refusing_a_plan_of_another_interval(anna, catalog, vendor):
    PlanSwitch.objects.filter(to_product_id=CLOUDIFY_L).update(to_product_id=294835, to_name="Cloudify Storage A")
    with pytest.raises(Rejected) as refused:
        quote(anna, MONTHLY, ChangeKind.SWITCH_LATER, running_no=1, product_id=294835)
    assert refused.value.status == 402
    assert not Quote.objects.exists()


def test_seats_changed_since_the_quote_ask_for_consent_again(anna, catalog, vendor):
    switch = quote(anna, MONTHLY, ChangeKind.SWITCH_LATER, running_no=1, product_id=CLOUDIFY_L)
    commit(anna, quote(anna, MONTHLY, ChangeKind.INCREASE, running_no=1, quantity=2))

    outcome = commit(anna, switch)

    assert outcome.state == QuoteState.SUPERSEDED
    assert outcome.reconsent_quote.quantity_after == 12
    assert reads.subscription_fresh(subscription_id=MONTHLY).scheduled_item(1) is None


@pytest.mark.parametrize("kind", [ChangeKind.SWITCH_NOW, ChangeKind.SWITCH_LATER])
def test_an_unknown_outcome_is_settled_by_reads_never_resent(anna, catalog, vendor, vendor_calls, settings, kind):
    settings.RECONCILE_GRACE_SECONDS = 0
    switch = quote(anna, MONTHLY, kind, running_no=1, product_id=CLOUDIFY_L)
    vendor.fault(UPDATE, on="commit", mode="apply_then_error", status=500)
    vendor_calls.clear()

    assert commit(anna, switch).state == QuoteState.OUTCOME_UNKNOWN
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    switch.refresh_from_db()
    assert switch.state == QuoteState.COMMITTED
    assert vendor_calls.methods().count(UPDATE) == 2  # the fresh preview and the one commit
    assert "change.confirmed_applied" in actions(switch)


def test_an_unknown_outcome_not_applied_fails(anna, catalog, vendor, settings):
    settings.RECONCILE_GRACE_SECONDS = 0
    switch = quote(anna, MONTHLY, ChangeKind.SWITCH_LATER, running_no=1, product_id=CLOUDIFY_L)
    vendor.fault(UPDATE, on="commit", mode="error", status=500)

    assert commit(anna, switch).state == QuoteState.OUTCOME_UNKNOWN
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    switch.refresh_from_db()
    assert switch.state == QuoteState.FAILED
