"""The worker's paths and the commit's second half, in real transactions.

Everywhere else a test runs inside one transaction, so a missing `atomic()` in the code goes unseen: the
test's own transaction covers it. Here (`transaction=True`) each statement commits as the product's would,
so a lock taken or a ledger entry written outside a transaction fails (`select_for_update` and
`ledger.record` both refuse to run there).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from subscriptions.models import InboundNotification, LedgerEntry, NotificationStatus, Quote, QuoteState
from subscriptions.notifications import notification_process
from subscriptions.reconcile import reconcile_due, reconcile_quote
from tests.cast import MONTHLY
from tests.changes.flows import commit, preview
from tests.notifications.payloads import body, paid_order
from tests.notifications.test_loop import ENDPOINT, _increase

pytestmark = pytest.mark.django_db(transaction=True)

METHOD = "increasesubscriptionitemquantity"


def _actions(quote: Quote) -> list[str]:
    return list(LedgerEntry.objects.filter(quote=quote).order_by("id").values_list("action", flat=True))


def _unknown(anna_client, vendor, mode: str) -> Quote:
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    vendor.fault(METHOD, on="commit", mode=mode, status=500)
    commit(anna_client, quote)
    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN
    return quote


def test_consent_and_commit_write_state_and_ledger(anna_client, vendor, queue):
    quote = _increase(anna_client)

    assert quote.state == QuoteState.COMMITTED
    assert quote.commit_sent_at is not None and quote.confirmed_charge_now_gross is not None
    assert _actions(quote) == ["change.quoted", "change.consented", "change.commit_sent", "change.committed"]


def test_a_commit_refused_by_the_vendor_is_recorded_as_rejected(anna_client, vendor, queue):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    vendor.fault(METHOD, on="commit", mode="error", status=400)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.REJECTED
    assert _actions(quote)[-1] == "change.rejected"


def test_the_worker_pays_a_committed_change(anna_client, vendor, queue):
    quote = _increase(anna_client)

    queue.run()

    quote.refresh_from_db()
    notification = InboundNotification.objects.get()
    assert quote.state == QuoteState.PAID and notification.status == NotificationStatus.PROCESSED
    assert _actions(quote)[-1] == "change.paid"


def test_a_notification_that_matches_nothing_is_kept_unmatched(anna_client, vendor, queue, client):
    quote = _increase(anna_client)
    queue.clear()
    client.generic("POST", ENDPOINT, body(paid_order(gross="1.00")), content_type="application/json")
    notification = InboundNotification.objects.get()

    assert notification_process(notification_id=notification.pk) == NotificationStatus.UNMATCHED

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED


def test_a_read_resolves_an_unknown_outcome_and_its_notification_pays_it(anna_client, vendor, queue):
    quote = _unknown(anna_client, vendor, "apply_then_error")

    assert reconcile_quote(quote_id=quote.pk, now=quote.next_reconcile_at) == "committed"
    queue.run(now=quote.next_reconcile_at)

    quote.refresh_from_db()
    assert quote.state == QuoteState.PAID
    assert "change.confirmed_applied" in _actions(quote) and _actions(quote)[-1] == "change.paid"


def test_a_change_not_applied_after_the_grace_period_fails(anna_client, vendor, queue):
    quote = _unknown(anna_client, vendor, "error")
    later = quote.commit_sent_at + timedelta(seconds=settings.RECONCILE_GRACE_SECONDS)

    assert reconcile_quote(quote_id=quote.pk, now=later) == "failed"

    quote.refresh_from_db()
    assert quote.state == QuoteState.FAILED and _actions(quote)[-1] == "change.failed"


def test_an_unknown_outcome_still_unclear_is_flagged_for_support(anna_client, vendor, queue):
    quote = _unknown(anna_client, vendor, "apply_then_error")
    vendor.fault("getsubscription", count=10)
    later = quote.commit_sent_at + timedelta(hours=settings.RECONCILE_GIVE_UP_HOURS)

    assert reconcile_quote(quote_id=quote.pk, now=later) == "flagged"

    quote.refresh_from_db()
    assert quote.needs_support and quote.state == QuoteState.OUTCOME_UNKNOWN
    assert _actions(quote)[-1] == "change.flagged_for_support"


def test_a_stuck_commit_is_ended_by_the_sweep(anna_client, vendor, queue):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    long_ago = timezone.now() - timedelta(seconds=settings.RECONCILE_STUCK_COMMITTING_SECONDS + 1)
    Quote.objects.filter(pk=quote.pk).update(state=QuoteState.COMMITTING, state_changed_at=long_ago)

    summary = reconcile_due()

    quote.refresh_from_db()
    assert summary.not_sent == 1
    assert quote.state == QuoteState.NOT_SENT and _actions(quote)[-1] == "change.not_sent"
