"""The vendor failing on preview and on commit; the sandbox's purchase list proves zero or one commits."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from subscriptions.cleverbridge import client as cleverbridge
from subscriptions.models import LedgerEntry, Quote, QuoteState
from subscriptions.reconcile import reconcile_due
from tests.cast import CLOUDIFY_M, MONTHLY
from tests.changes.flows import commit, preview
from tests.conftest import InProcessTransport

METHOD = "increasesubscriptionitemquantity"


@pytest.fixture(autouse=True)
def _one_try(settings):
    """One try per read or preview, so a planned fault is not retried away and no test waits on a backoff."""
    settings.CLEVERBRIDGE_MAX_TRIES = 1


def _is_commit(request: httpx.Request) -> bool:
    if request.method != "POST":
        return False
    body = json.loads(request.read() or b"{}")
    return body.get("AlignmentSettings", {}).get("GetCustomerPricePreviewOnly") is False


class UnreachableForCommit(InProcessTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if _is_commit(request):
            raise httpx.ConnectError("connection refused", request=request)
        return super().handle_request(request)


def fault_on_commit(vendor, **fault) -> None:
    """A fault for the commit only: the fresh preview just before it passes (the sandbox's `on: commit`)."""
    vendor.fault(METHOD, on="commit", **fault)


# --- Preview ---------------------------------------------------------------------------------


def test_vendor_error_on_preview_shows_a_message_in_place_and_stores_nothing(anna_client, vendor):
    vendor.fault(METHOD, mode="error", status=500)
    response, quote = preview(anna_client, MONTHLY, htmx=True, kind="increase", running_no=1, quantity=15)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="change-problem"' in html
    assert "could not get a price" in html
    assert quote is None and not LedgerEntry.objects.exists()


def test_vendor_error_on_preview_without_javascript(anna_client, vendor):
    vendor.fault(METHOD, mode="malformed")
    response, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    assert response.status_code == 503
    assert "could not get a price" in response.content.decode()
    assert quote is None


def test_vendor_refusal_on_preview_gives_its_reason(anna_client, vendor):
    vendor.fault(METHOD, mode="error", status=402)
    response, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    assert response.status_code == 400
    assert "could not price this change" in response.content.decode()
    assert quote is None


def test_preview_is_retried_when_allowed(anna_client, vendor, settings, monkeypatch):
    settings.CLEVERBRIDGE_MAX_TRIES = 2
    pauses: list[float] = []
    build = cleverbridge.CleverbridgeClient.__init__

    def without_waiting(self, **kwargs):
        build(self, **{**kwargs, "sleep": pauses.append})

    monkeypatch.setattr(cleverbridge.CleverbridgeClient, "__init__", without_waiting)
    vendor.fault(METHOD, mode="error", status=500)

    response, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)

    assert response.status_code == 302 and quote is not None
    assert pauses == [cleverbridge.BACKOFF_SECONDS]


# --- Commit ----------------------------------------------------------------------------------


def test_vendor_rejection_on_commit_charges_nothing(anna_client, vendor, monkeypatch):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    fault_on_commit(vendor, mode="error", status=402)

    response = commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.REJECTED
    assert "injected fault" in quote.vendor_message
    assert vendor.purchases(MONTHLY) == []
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 10
    entry = LedgerEntry.objects.get(quote=quote, action="change.rejected")
    assert entry.data["error"]["status"] == 402
    assert entry.data["vendor"]["status"] == 402
    html = anna_client.get(response["Location"]).content.decode()
    assert "The change was not made. Nothing was charged." in html
    assert "injected fault" in html


def test_outcome_unknown_is_never_resent_and_blocks_the_same_change(anna_client, vendor, monkeypatch):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    _, waiting = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=2)  # a second tab
    fault_on_commit(vendor, mode="apply_then_error", status=500)

    response = commit(anna_client, quote, htmx=True)

    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN
    assert "We are confirming your change." in response.content.decode()
    assert len(vendor.purchases(MONTHLY)) == 1  # the vendor applied it once
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 25
    assert LedgerEntry.objects.filter(quote=quote, action="change.commit_sent").count() == 1
    assert LedgerEntry.objects.filter(quote=quote, action="change.outcome_unknown").count() == 1

    # Clicking again, starting the same change again, or confirming the other tab's quote: all refused.
    assert commit(anna_client, quote).status_code == 409
    again, new_quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    assert again.status_code == 400 and new_quote is None
    assert "still confirming" in again.content.decode()
    refused = commit(anna_client, waiting)
    assert refused.status_code == 409
    assert "still confirming" in refused.content.decode()
    waiting.refresh_from_db()
    assert waiting.state == QuoteState.QUOTED
    assert len(vendor.purchases(MONTHLY)) == 1

    receipt = anna_client.get(reverse("subscriptions:receipt", args=[quote.public_id])).content.decode()
    assert "We are confirming your change." in receipt


def test_connect_failure_on_commit_means_not_sent(anna_client, vendor, monkeypatch):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    monkeypatch.setattr(cleverbridge, "make_transport", UnreachableForCommit)

    response = commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.NOT_SENT
    assert vendor.purchases(MONTHLY) == []
    assert LedgerEntry.objects.filter(quote=quote, action="change.not_sent").count() == 1
    assert "The change was not sent. Nothing was charged." in anna_client.get(response["Location"]).content.decode()

    # Nothing is in flight: the customer may start again with a fresh quote.
    monkeypatch.setattr(cleverbridge, "make_transport", InProcessTransport)
    _, fresh = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, fresh)
    fresh.refresh_from_db()
    assert fresh.state == QuoteState.COMMITTED
    assert len(vendor.purchases(MONTHLY)) == 1


def test_rate_limit_on_commit_is_confirmed_by_reads_after_the_block(anna_client, vendor, vendor_clock):
    """The 429 came from the vendor's side, so the commit was sent: only a read can say nothing was charged, and the
    vendor blocks every call for its minute, so the customer is told "we are confirming" until a read can be made."""
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    fault_on_commit(vendor, mode="error", status=429)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.OUTCOME_UNKNOWN
    assert (
        "Nothing was charged"
        not in anna_client.get(reverse("subscriptions:receipt", args=[quote.public_id])).content.decode()
    )
    vendor_clock.advance(61)
    reconcile_due(now=timezone.now() + timedelta(seconds=settings.RECONCILE_GRACE_SECONDS + 1))

    quote.refresh_from_db()
    assert quote.state == QuoteState.FAILED
    assert LedgerEntry.objects.get(quote=quote, action="change.failed").data["subscription"]["applied"] == (
        "not_applied"
    )
    assert vendor.purchases(MONTHLY) == []


def test_vendor_down_for_the_fresh_preview_sends_nothing(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    vendor.fault(METHOD, mode="error", status=503)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.NOT_SENT
    assert not LedgerEntry.objects.filter(quote=quote, action="change.commit_sent").exists()
    assert vendor.purchases(MONTHLY) == []
    assert Quote.objects.count() == 1


class ReconcilerRunsDuringFreshPreview(InProcessTransport):
    """The fresh price check is so slow that the periodic reconciler takes the quote for a dead process."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and not _is_commit(request):
            stuck = Quote.objects.filter(state=QuoteState.COMMITTING).first()
            if stuck is not None:
                from django.conf import settings
                from django.utils import timezone

                from subscriptions.reconcile import reconcile_quote

                later = timezone.now() + timedelta(seconds=settings.RECONCILE_STUCK_COMMITTING_SECONDS + 1)
                assert reconcile_quote(quote_id=stuck.pk, now=later) == "not_sent"
        return super().handle_request(request)


def test_a_quote_given_up_as_not_sent_during_the_price_check_is_never_sent(anna_client, vendor, monkeypatch):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    monkeypatch.setattr(cleverbridge, "make_transport", ReconcilerRunsDuringFreshPreview)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.NOT_SENT
    assert quote.commit_sent_at is None
    assert vendor.purchases(MONTHLY) == []  # the item was declared free: a commit now could charge twice
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 10
    actions = list(LedgerEntry.objects.filter(quote=quote).values_list("action", flat=True))
    assert "change.commit_sent" not in actions


class ReconcilerRunsDuringCommit(InProcessTransport):
    """The commit's answer is so slow that the periodic reconciler takes over before it arrives."""

    expect = "failed"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if _is_commit(request):
            from django.conf import settings
            from django.utils import timezone

            from subscriptions.reconcile import reconcile_quote

            stuck = Quote.objects.get(state=QuoteState.COMMITTING)
            later = timezone.now() + timedelta(seconds=settings.RECONCILE_STUCK_COMMITTING_SECONDS + 1)
            assert reconcile_quote(quote_id=stuck.pk, now=later) == type(self).expect
        return super().handle_request(request)


def test_a_late_commit_answer_never_overwrites_what_the_reconciler_recorded(anna_client, vendor, monkeypatch):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    monkeypatch.setattr(cleverbridge, "make_transport", ReconcilerRunsDuringCommit)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.FAILED  # what the reconciler read; the vendor's late "OK" does not overwrite it
    assert quote.confirmed_charge_now_gross is None
    assert quote.needs_support  # recorded as not applied, yet the vendor says it applied it: support must look
    assert len(vendor.purchases(MONTHLY)) == 1
    actions = list(LedgerEntry.objects.filter(quote=quote).order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["change.failed", "change.late_answer"]
    assert "change.committed" not in actions
    late = LedgerEntry.objects.get(quote=quote, action="change.late_answer")
    assert late.data["state"] == QuoteState.FAILED
    assert late.data["answer"] == QuoteState.COMMITTED
    assert late.data["vendor"]["response"]["AlignmentCustomerGrossPrice"] == "1159.89"
    assert late.data["confirmed"]["charge_now_gross"] == "1159.89"


class ReconcilerMarksUnknownDuringCommit(ReconcilerRunsDuringCommit):
    expect = "waiting"


def test_a_late_commit_answer_resolves_an_outcome_the_reconciler_left_unknown(
    anna_client, vendor, monkeypatch, settings
):
    settings.RECONCILE_GRACE_SECONDS = 3600  # the read finds nothing yet, but too early to call it failed
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    monkeypatch.setattr(cleverbridge, "make_transport", ReconcilerMarksUnknownDuringCommit)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    assert quote.confirmed_charge_now_gross == quote.charge_now_gross
    assert not quote.needs_support
    actions = list(LedgerEntry.objects.filter(quote=quote).order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["change.outcome_unknown", "change.committed"]


class CommitAnsweredWith(InProcessTransport):
    """The vendor applies the commit and confirms other prices than its preview gave (what it says it charged)."""

    answer: dict = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if not _is_commit(request):
            return response
        body = {**json.loads(response.content), **type(self).answer}
        return httpx.Response(response.status_code, json=body, request=request)


@pytest.mark.parametrize(
    "answer, reasons",
    [
        pytest.param({"AlignmentCustomerGrossPrice": "1259.89"}, ["charge_now"], id="charge-now"),
        pytest.param({"NextBillingCustomerGrossPrice": "2100.00"}, ["recurring"], id="next-billing"),
        pytest.param({"NextRenewalCustomerGrossPrice": "2100.00"}, ["recurring"], id="next-renewal"),
        pytest.param({"PriceCurrencyId": "EUR"}, ["currency"], id="currency"),
    ],
)
def test_a_charge_above_what_was_consented_is_flagged_for_support(anna_client, vendor, monkeypatch, answer, reasons):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    monkeypatch.setattr(CommitAnsweredWith, "answer", answer)
    monkeypatch.setattr(cleverbridge, "make_transport", CommitAnsweredWith)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    assert quote.needs_support and quote.support_flagged_at is not None
    entry = LedgerEntry.objects.get(quote=quote, action="change.charged_above_consent")
    committed = LedgerEntry.objects.get(quote=quote, action="change.committed")
    assert entry.id == committed.id + 1  # written with the outcome
    assert entry.data["reasons"] == reasons
    assert entry.data["consented"]["charge_now_gross"] == "1159.89"
    assert entry.data["consented"]["currency"] == "USD"
    assert entry.data["confirmed"]["charge_now_gross"] == answer.get("AlignmentCustomerGrossPrice", "1159.89")


def test_a_charge_at_or_below_what_was_consented_is_not_flagged(anna_client, vendor, monkeypatch):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    monkeypatch.setattr(CommitAnsweredWith, "answer", {"AlignmentCustomerGrossPrice": "1100.00"})
    monkeypatch.setattr(cleverbridge, "make_transport", CommitAnsweredWith)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED and not quote.needs_support
    assert not LedgerEntry.objects.filter(action="change.charged_above_consent").exists()
