"""Cancelling at the end of the period (automatic renewal off) with the customer's reason, and resuming it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from subscriptions import reads
from subscriptions.catalog import offers_for
from subscriptions.formatting import consent_text
from subscriptions.models import CatalogProduct, ChangeKind, QuoteState
from subscriptions.reconcile import reconcile_due
from subscriptions.services import ChangeNotAllowed
from tests.cast import BENS, CLOUDIFY_M, MONTHLY
from tests.changes.scheduled import actions, commit, entry, quote

BILLING_DATE = datetime(2026, 5, 23, 15, 57, 14, 106747, tzinfo=UTC)
RENEWAL_TYPE = "updatesubscriptionrenewaltype"
WHY = {"reason_code": "too_expensive", "reason_text": "We moved to a smaller team."}


@pytest.fixture(autouse=True)
def _one_try(settings):
    settings.CLEVERBRIDGE_MAX_TRIES = 1


@pytest.fixture
def cancelled(anna, catalog, vendor):
    commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL, details=WHY))
    assert reads.subscription_fresh(subscription_id=MONTHLY).cancels_at_period_end


def test_the_quote_keeps_the_reason_and_charges_nothing(anna, catalog, vendor, vendor_calls):
    cancel = quote(anna, MONTHLY, ChangeKind.CANCEL, details=WHY)

    assert vendor_calls.methods() == ["getsubscription"]
    assert (cancel.kind, cancel.target, cancel.running_no, cancel.renewal_type_after) == (
        "cancel",
        "renewal",
        None,
        "Manual",
    )
    assert (cancel.reason_code, cancel.reason_text) == ("too_expensive", "We moved to a smaller team.")
    assert cancel.charge_now_gross == 0 and cancel.next_billing_gross == 0
    assert cancel.effective_at == BILLING_DATE
    assert cancel.commit_request == {"SubscriptionId": "S68574751", "RenewalType": "Manual"}
    quoted = entry(cancel, "change.quoted")
    assert (quoted["reason_code"], quoted["reason_text"], quoted["priced_by"]) == (
        "too_expensive",
        "We moved to a smaller team.",
        "getsubscription",
    )
    assert consent_text(cancel, language="en") == (
        "I agree to stop the automatic renewal of subscription S68574751: it ends on 23 May 2026 and is not charged "
        "again. I can resume it until then. Nothing is charged now. "
        "Reason: Too expensive (“We moved to a smaller team.”)."
    )
    assert consent_text(cancel, language="de") == (
        "Ich stimme zu, die automatische Verlängerung von Abonnement S68574751 zu beenden: Es endet am 23. Mai 2026 "
        "und wird nicht erneut berechnet. Bis dahin kann ich es fortsetzen. Jetzt wird nichts berechnet. "
        "Grund: Zu teuer („We moved to a smaller team.“)."
    )


def test_without_a_reason(anna, catalog, vendor):
    cancel = quote(anna, MONTHLY, ChangeKind.CANCEL)
    assert cancel.reason_code == "" and "Reason" not in consent_text(cancel, language="en")


@pytest.mark.parametrize(
    ("details", "message"),
    [({"reason_code": "bored"}, "reasons listed"), ({"reason_code": "other", "reason_text": "x" * 1001}, "1000")],
)
def test_refused_reasons(anna, catalog, vendor, details, message):
    with pytest.raises(ChangeNotAllowed, match=message):
        quote(anna, MONTHLY, ChangeKind.CANCEL, details=details)


def test_commit_turns_the_renewal_off_and_the_subscription_ends_at_the_billing_date(anna, catalog, vendor):
    outcome = commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL, details=WHY))

    assert outcome.state == QuoteState.COMMITTED and not outcome.quote.awaiting_confirmation
    assert outcome.quote.consent.text.endswith("Reason: Too expensive (“We moved to a smaller team.”).")
    subscription = reads.subscription_fresh(subscription_id=MONTHLY)
    assert subscription.renewal_type == "Manual" and subscription.ends_on == BILLING_DATE
    assert [offer.kind for offer in offers_for(subscription)] == [ChangeKind.RESUME]

    vendor.clock("2026-05-24T10:00:00Z")
    finished = reads.subscription_fresh(subscription_id=MONTHLY)
    assert not finished.is_active and finished.ends_on == BILLING_DATE
    assert [p for p in vendor.all_purchases(MONTHLY) if p["Category"] != "New"] == []


def test_not_offered_when_a_product_does_not_allow_it(anna, catalog, vendor):
    product = CatalogProduct.objects.get(vendor_product_id=CLOUDIFY_M)
    product.cancellation_offered = False
    product.save()
    with pytest.raises(ChangeNotAllowed, match="cannot be cancelled"):
        quote(anna, MONTHLY, ChangeKind.CANCEL)


def test_a_cancelling_subscription_cannot_be_cancelled_again_nor_changed(anna, cancelled):
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.CANCEL)
    with pytest.raises(ChangeNotAllowed):
        quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8)


def test_resume_is_offered_only_while_cancelling(anna, catalog, vendor):
    with pytest.raises(ChangeNotAllowed, match="already"):
        quote(anna, MONTHLY, ChangeKind.RESUME)


def test_resume_turns_the_renewal_on_again(anna, cancelled, vendor):
    resume = quote(anna, MONTHLY, ChangeKind.RESUME)

    assert (resume.renewal_type_after, resume.effective_at, resume.reason_code) == ("Automatic", None, "")
    assert resume.next_billing_gross == D("800.00")
    assert consent_text(resume, language="en") == (
        "I agree to resume the automatic renewal of subscription S68574751: it renews on 23 May 2026 and is billed "
        "until I cancel it. Nothing is charged now. From 23 May 2026, $800.00 ($672.27 net plus $127.73 VAT) will "
        "be billed per month."
    )
    assert "fortzusetzen" in consent_text(resume, language="de")

    assert commit(anna, resume).state == QuoteState.COMMITTED
    subscription = reads.subscription_fresh(subscription_id=MONTHLY)
    assert subscription.renewal_type == "Automatic" and not subscription.cancels_at_period_end


def test_the_vendor_refusing_is_verified_by_a_read(anna, catalog, vendor):
    cancel = quote(anna, MONTHLY, ChangeKind.CANCEL, details=WHY)
    vendor.fault(RENEWAL_TYPE, mode="error", status=402)

    assert commit(anna, cancel).state == QuoteState.REJECTED
    assert not reads.subscription_fresh(subscription_id=MONTHLY).cancels_at_period_end


def test_an_unknown_outcome_is_settled_by_reads_and_never_sent_again(anna, catalog, vendor, vendor_calls):
    cancel = quote(anna, MONTHLY, ChangeKind.CANCEL, details=WHY)
    vendor.fault(RENEWAL_TYPE, mode="apply_then_error", status=500)
    vendor_calls.clear()

    assert commit(anna, cancel).state == QuoteState.OUTCOME_UNKNOWN
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    cancel.refresh_from_db()
    assert cancel.state == QuoteState.COMMITTED
    assert vendor_calls.methods().count(RENEWAL_TYPE) == 1
    assert "change.confirmed_applied" in actions(cancel)


def test_an_unknown_outcome_not_applied_fails(anna, catalog, vendor, settings):
    settings.RECONCILE_GRACE_SECONDS = 0
    cancel = quote(anna, MONTHLY, ChangeKind.CANCEL, details=WHY)
    vendor.fault(RENEWAL_TYPE, mode="error", status=500)

    assert commit(anna, cancel).state == QuoteState.OUTCOME_UNKNOWN
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    cancel.refresh_from_db()
    assert cancel.state == QuoteState.FAILED


def test_an_unknown_resume_is_settled_by_reads(anna, cancelled, vendor):
    resume = quote(anna, MONTHLY, ChangeKind.RESUME)
    vendor.fault(RENEWAL_TYPE, mode="apply_then_error", status=500)

    assert commit(anna, resume).state == QuoteState.OUTCOME_UNKNOWN
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    resume.refresh_from_db()
    assert resume.state == QuoteState.COMMITTED


def test_a_resume_applied_is_confirmed_although_a_payment_problem_followed(ben, catalog, vendor, settings):
    """Ben's card expired before his billing date: renewing again puts the subscription in grace, not back active."""
    settings.RECONCILE_GRACE_SECONDS = 0
    commit(ben, quote(ben, BENS, ChangeKind.CANCEL))
    resume = quote(ben, BENS, ChangeKind.RESUME)
    vendor.fault(RENEWAL_TYPE, mode="apply_then_error", status=500)
    assert commit(ben, resume).state == QuoteState.OUTCOME_UNKNOWN

    vendor.clock("2026-05-11T10:00:00Z")  # past the billing date of 10 May
    assert reads.subscription_fresh(subscription_id=BENS).status == 4  # grace: renewing, the card failed
    reconcile_due(now=datetime(2030, 1, 1, tzinfo=UTC))

    resume.refresh_from_db()
    assert (resume.state, resume.needs_support) == (QuoteState.COMMITTED, False)
