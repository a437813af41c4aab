"""Unknown outcomes resolve by reads only: applied → committed (then paid), not applied → failed, unclear → support.

Time is passed in (`now`), so nothing waits on the wall clock; the sandbox's purchases and the count of
commits that reached it prove that nothing is ever sent twice.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import httpx
import pytest
from django.core.management import call_command

from subscriptions.cleverbridge import client as cleverbridge
from subscriptions.models import InboundNotification, LedgerEntry, NotificationStatus, Quote, QuoteState
from subscriptions.reconcile import reconcile_due, reconcile_quote
from tests.cast import CLOUDIFY_M, MONTHLY, STORAGE_A, YEARLY
from tests.changes.flows import commit, preview
from tests.conftest import InProcessTransport
from tests.vendor import SANDBOX_AUTH

METHOD = "increasesubscriptionitemquantity"


class CountingTransport(InProcessTransport):
    commits = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            body = json.loads(request.read() or b"{}")
            if body.get("AlignmentSettings", {}).get("GetCustomerPricePreviewOnly") is False:
                CountingTransport.commits += 1
        return super().handle_request(request)


@pytest.fixture(autouse=True)
def commits_sent(monkeypatch):
    CountingTransport.commits = 0
    monkeypatch.setattr(cleverbridge, "make_transport", CountingTransport)
    return CountingTransport


def _unknown(anna_client, vendor, mode: str) -> Quote:
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    vendor.fault(METHOD, on="commit", mode=mode, status=500)
    commit(anna_client, quote)
    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN
    return quote


def _actions(quote: Quote) -> list[str]:
    return list(LedgerEntry.objects.filter(quote=quote).order_by("id").values_list("action", flat=True))


def test_an_outcome_unknown_commit_plans_its_first_read(anna_client, vendor, queue):
    quote = _unknown(anna_client, vendor, "apply_then_error")

    reconcile = [r for r in queue.results if r.task.name == "reconcile_change"]
    assert len(reconcile) == 1
    assert reconcile[0].task.run_after == quote.next_reconcile_at
    assert quote.next_reconcile_at > quote.commit_sent_at


def test_applied_but_answered_500_is_reconciled_to_committed_then_paid(anna_client, vendor, queue, commits_sent):
    quote = _unknown(anna_client, vendor, "apply_then_error")
    sent = quote.commit_sent_at

    assert reconcile_quote(quote_id=quote.pk, now=sent + timedelta(seconds=5)) == "committed"

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    entry = LedgerEntry.objects.get(quote=quote, action="change.confirmed_applied")
    assert entry.data["reason"] == "subscription_read"
    assert entry.data["subscription"]["applied"] == "applied"

    queue.run()  # the sandbox's notification, delivered and processed

    quote.refresh_from_db()
    assert quote.state == QuoteState.PAID
    assert _actions(quote)[-4:] == [
        "change.outcome_unknown",
        "change.confirmed_applied",
        "change.charged_after_error",  # the vendor answered 500 yet charged: support checks it
        "change.paid",
    ]
    assert quote.needs_support
    assert len(vendor.purchases(MONTHLY)) == 1
    assert commits_sent.commits == 1
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 25


def test_the_notification_alone_resolves_an_unknown_outcome(anna_client, vendor, queue, commits_sent):
    quote = _unknown(anna_client, vendor, "apply_then_error")

    queue.run(only="deliver_notification")
    queue.run(only="process_notification")

    quote.refresh_from_db()
    assert quote.state == QuoteState.PAID
    assert _actions(quote)[-3:] == ["change.confirmed_applied", "change.charged_after_error", "change.paid"]
    assert LedgerEntry.objects.get(quote=quote, action="change.confirmed_applied").data["reason"] == (
        "paid_notification"
    )
    assert quote.needs_support  # the vendor answered 500, yet this purchase pays the change
    # A later read finds nothing to do.
    assert reconcile_quote(quote_id=quote.pk, now=quote.commit_sent_at + timedelta(minutes=5)) == "paid"
    assert len(vendor.purchases(MONTHLY)) == 1 and commits_sent.commits == 1


def test_the_worker_runs_the_planned_reads(anna_client, vendor, queue):
    quote = _unknown(anna_client, vendor, "apply_then_error")

    ran = queue.run(now=quote.next_reconcile_at, only="reconcile_change")

    assert ran == ["reconcile_change"]
    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED


def test_not_applied_fails_after_the_grace_period_and_the_item_is_free_again(
    anna_client, vendor, queue, settings, commits_sent
):
    settings.RECONCILE_GRACE_SECONDS = 120
    quote = _unknown(anna_client, vendor, "error")
    sent = quote.commit_sent_at

    assert reconcile_quote(quote_id=quote.pk, now=sent + timedelta(seconds=30)) == "waiting"
    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN
    assert quote.reconcile_attempts == 1 and quote.next_reconcile_at > sent + timedelta(seconds=30)

    # Still blocked: the same change cannot start again while unknown.
    blocked, none = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    assert blocked.status_code == 400 and none is None

    assert reconcile_quote(quote_id=quote.pk, now=sent + timedelta(seconds=121)) == "failed"
    quote.refresh_from_db()
    assert quote.state == QuoteState.FAILED
    failed = LedgerEntry.objects.get(quote=quote, action="change.failed")
    assert failed.data["reason"] == "not_applied_after_grace"
    assert vendor.purchases(MONTHLY) == [] and commits_sent.commits == 1

    # Fresh consent for a fresh quote; the failed one was never resent.
    _, fresh = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    assert fresh is not None
    commit(anna_client, fresh)
    fresh.refresh_from_db()
    assert fresh.state == QuoteState.COMMITTED
    assert len(vendor.purchases(MONTHLY)) == 1 and commits_sent.commits == 2
    assert LedgerEntry.objects.filter(quote=quote, action="change.commit_sent").count() == 1


def test_unclear_for_too_long_is_flagged_for_support_with_everything_known(anna_client, vendor, queue, settings):
    settings.RECONCILE_GIVE_UP_HOURS = 24
    quote = _unknown(anna_client, vendor, "apply_then_error")
    # Someone else changes the item at the vendor: neither the quantity before nor the one agreed.
    vendor.client.post(
        "/sandbox/api/subscription/increasesubscriptionitemquantity",
        json.dumps({"SubscriptionId": f"S{MONTHLY}", "RunningNumber": 1, "Quantity": 1}),
        content_type="application/json",
        HTTP_AUTHORIZATION=SANDBOX_AUTH,
    )
    sent = quote.commit_sent_at

    assert reconcile_quote(quote_id=quote.pk, now=sent + timedelta(hours=1)) == "waiting"
    assert reconcile_quote(quote_id=quote.pk, now=sent + timedelta(hours=25)) == "flagged"

    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN and quote.needs_support
    assert quote.next_reconcile_at is None
    flagged = LedgerEntry.objects.get(quote=quote, action="change.flagged_for_support")
    assert flagged.data["subscription"]["applied"] == "unclear"
    assert flagged.data["subscription"]["items"][0]["quantity"] == 26
    assert "change.commit_sent" in flagged.data["trail"]
    assert flagged.data["commit_sent_at"] == sent.isoformat()
    # Flagged once; the periodic run leaves it to support.
    summary = reconcile_due(now=sent + timedelta(hours=30))
    assert summary.checked == 0
    assert LedgerEntry.objects.filter(quote=quote, action="change.flagged_for_support").count() == 1
    receipt = anna_client.get(f"/changes/{quote.public_id}/receipt/").content.decode()
    assert "our support team is looking into it" in receipt


def test_vendor_unreachable_for_reads_is_flagged_after_the_give_up_time(anna_client, vendor, queue):
    quote = _unknown(anna_client, vendor, "error")
    vendor.fault("getsubscription", mode="error", status=503, count=5)
    sent = quote.commit_sent_at

    assert reconcile_quote(quote_id=quote.pk, now=sent + timedelta(hours=2)) == "waiting"  # unreadable ≠ not applied
    assert reconcile_quote(quote_id=quote.pk, now=sent + timedelta(hours=24)) == "flagged"
    flagged = LedgerEntry.objects.get(quote=quote, action="change.flagged_for_support")
    assert "503" in flagged.data["error"] or "usable answer" in flagged.data["error"]


def test_a_commit_stuck_in_committing_is_resolved_too(anna_client, vendor, queue, settings):
    from django.utils import timezone

    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    Quote.objects.filter(pk=quote.pk).update(state=QuoteState.COMMITTING, state_changed_at=timezone.now())
    later = timezone.now() + timedelta(seconds=settings.RECONCILE_STUCK_COMMITTING_SECONDS + 1)

    assert reconcile_quote(quote_id=quote.pk, now=timezone.now()) == "waiting"
    assert reconcile_quote(quote_id=quote.pk, now=later) == "not_sent"  # no commit was sent: nothing happened
    quote.refresh_from_db()
    assert quote.state == QuoteState.NOT_SENT


def test_the_command_reconciles_what_is_due_and_retries_waiting_notifications(anna_client, vendor, queue, client):
    quote = _unknown(anna_client, vendor, "apply_then_error")
    Quote.objects.filter(pk=quote.pk).update(next_reconcile_at=None)
    InboundNotification.objects.create(
        status=NotificationStatus.PENDING, body="{}", notification_type="PaidOrderNotification", purchase_id=1
    )

    out = io.StringIO()
    call_command("reconcile_changes", stdout=out)

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    assert "committed 1" in out.getvalue() and "notifications retried 1" in out.getvalue()


def test_a_commit_sent_while_the_reconciler_looks_is_not_recorded_as_not_sent(anna_client, vendor, queue, settings):
    """The reconciler read the quote just before the commit step stamped commit_sent_at under the lock."""
    from django.utils import timezone

    from subscriptions.reconcile import _stuck_committing

    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    long_ago = timezone.now() - timedelta(seconds=settings.RECONCILE_STUCK_COMMITTING_SECONDS + 1)
    Quote.objects.filter(pk=quote.pk).update(state=QuoteState.COMMITTING, state_changed_at=long_ago)
    seen = Quote.objects.get(pk=quote.pk)
    Quote.objects.filter(pk=quote.pk).update(commit_sent_at=timezone.now())  # the commit is on its way

    _stuck_committing(seen, timezone.now())

    quote.refresh_from_db()
    assert quote.state != QuoteState.NOT_SENT
    assert not LedgerEntry.objects.filter(quote=quote, action="change.not_sent").exists()


def test_one_failing_change_does_not_stop_the_periodic_run(anna_client, vendor, queue, settings, monkeypatch, caplog):
    from django.utils import timezone

    import subscriptions.reconcile as reconcile

    broken = _unknown(anna_client, vendor, "apply_then_error")
    Quote.objects.filter(pk=broken.pk).update(next_reconcile_at=None)
    _, stuck = preview(anna_client, YEARLY, kind="coterm", running_no=1, product_id=STORAGE_A)
    long_ago = timezone.now() - timedelta(seconds=settings.RECONCILE_STUCK_COMMITTING_SECONDS + 1)
    Quote.objects.filter(pk=stuck.pk).update(state=QuoteState.COMMITTING, state_changed_at=long_ago)
    InboundNotification.objects.create(
        status=NotificationStatus.PENDING, body="{}", notification_type="PaidOrderNotification", purchase_id=1
    )
    real = reconcile.reconcile_quote

    def fails_for_one(*, quote_id, now=None):
        if quote_id == broken.pk:
            raise RuntimeError("a broken row")
        return real(quote_id=quote_id, now=now)

    monkeypatch.setattr(reconcile, "reconcile_quote", fails_for_one)

    summary = reconcile_due()

    stuck.refresh_from_db()
    assert stuck.state == QuoteState.NOT_SENT  # the row after the broken one was still worked
    assert summary.not_sent == 1 and summary.notifications == 1
    assert summary.errors == 1
    assert summary.outcomes[str(broken.public_id)] == "error"
    assert "errors 1" in str(summary)
    assert any(
        r.levelname == "ERROR" and r.exc_info and str(broken.public_id) in r.getMessage() for r in caplog.records
    )
