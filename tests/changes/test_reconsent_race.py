"""A price rise found after the reconciler already ended the quote: its ending stands, no new quote is made."""

from __future__ import annotations

from datetime import timedelta

import httpx
from django.conf import settings
from django.utils import timezone

import subscriptions.cleverbridge.client as cleverbridge
from subscriptions.models import LedgerEntry, Quote, QuoteState
from subscriptions.reconcile import reconcile_quote
from tests.cast import MONTHLY
from tests.changes.flows import commit, preview
from tests.conftest import InProcessTransport


class ReconcilerEndsTheQuoteDuringThePriceCheck(InProcessTransport):
    """The fresh price check is so slow that the periodic reconciler takes the quote for a dead process."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        stuck = Quote.objects.filter(state=QuoteState.COMMITTING).first()
        if request.method == "POST" and stuck is not None:
            later = timezone.now() + timedelta(seconds=settings.RECONCILE_STUCK_COMMITTING_SECONDS + 1)
            assert reconcile_quote(quote_id=stuck.pk, now=later) == "not_sent"
        return super().handle_request(request)


def test_a_quote_ended_as_not_sent_is_not_superseded_by_a_price_rise(anna_client, vendor, scenario, monkeypatch):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    scenario["products"][0]["prices"] = {"USD": [{"from": 1, "unit_gross": "90.00"}]}
    vendor.load({"products": [scenario["products"][0]]})
    monkeypatch.setattr(cleverbridge, "make_transport", ReconcilerEndsTheQuoteDuringThePriceCheck)

    commit(anna_client, quote)

    quote.refresh_from_db()
    assert quote.state == QuoteState.NOT_SENT
    assert quote.superseded_by is None
    assert Quote.objects.count() == 1
    actions = list(LedgerEntry.objects.filter(quote=quote).order_by("id").values_list("action", flat=True))
    assert actions == ["change.quoted", "change.consented", "change.not_sent"]
    assert vendor.purchases(MONTHLY) == []
