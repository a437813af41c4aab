"""Changes in the console: search, filters, the ledger inline and vendor bodies; ledger rows are never edited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from subscriptions import ledger
from subscriptions.models import LedgerEntry, Quote
from tests.cast import MONTHLY, OTTOS, YEARLY, sign_in
from tests.changes.flows import commit, preview

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:subscriptions_quote_changelist"


@pytest.fixture
def quotes(anna_client, otto, vendor, client):
    _, increase = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, increase)
    _, coterm = preview(anna_client, YEARLY, kind="coterm", running_no=1, product_id=294835)
    otto_client = sign_in(Client(), otto)
    _, ottos = preview(otto_client, OTTOS, kind="increase", running_no=1, quantity=2)
    Quote.objects.filter(pk=increase.pk).update(purchase_id=555001)
    Quote.objects.filter(pk=ottos.pk).update(
        needs_support=True, currency="EUR", created_at=ottos.created_at - timedelta(days=40)
    )
    return {
        name: Quote.objects.get(pk=quote.pk)
        for name, quote in (("increase", increase), ("coterm", coterm), ("otto", ottos))
    }


def _found(client, **params) -> set[int]:
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return {quote.pk for quote in response.context["cl"].result_list}


def test_search_by_email_customer_subscription_purchase_and_quote_id(agent_client, quotes):
    increase, coterm, otto = quotes["increase"], quotes["coterm"], quotes["otto"]
    assert _found(agent_client, q="anna.schmidt") == {increase.pk, coterm.pk}
    assert _found(agent_client, q="159215790") == {otto.pk}
    assert _found(agent_client, q="S68841753") == {coterm.pk}
    assert _found(agent_client, q="68574751") == {increase.pk}
    assert _found(agent_client, q="555001") == {increase.pk}
    assert _found(agent_client, q=str(coterm.public_id)[:8]) == {coterm.pk}
    assert _found(agent_client, q="no-such-thing") == set()
    assert _found(agent_client, q="S\u00b2") == set()  # a digit to str.isdigit(), not to int()


def test_filters_state_kind_currency_flagged_and_date_range(agent_client, quotes):
    increase, coterm, otto = quotes["increase"], quotes["coterm"], quotes["otto"]
    assert _found(agent_client, state__exact="committed") == {increase.pk}
    assert _found(agent_client, kind__exact="coterm") == {coterm.pk}
    assert _found(agent_client, currency__exact="EUR") == {otto.pk}
    assert _found(agent_client, needs_support__exact="1") == {otto.pk}
    today = increase.created_at.date()
    old = otto.created_at.date()
    assert _found(agent_client, created_at__date__gte=today.isoformat()) == {increase.pk, coterm.pk}
    assert _found(agent_client, created_at__date__gte=old.isoformat(), created_at__date__lte=old.isoformat()) == {
        otto.pk
    }
    assert _found(agent_client, prepared="customer") == {increase.pk, coterm.pk, otto.pk}
    assert _found(agent_client, prepared="agent") == set()


def test_the_change_page_has_the_ledger_and_the_vendor_bodies(agent_client, quotes):
    increase = quotes["increase"]
    page = agent_client.get(reverse("admin:subscriptions_quote_change", args=[increase.pk]))
    text = page.content.decode()
    for action in ("change.quoted", "change.consented", "change.commit_sent", "change.committed"):
        assert action in text
    assert "&quot;SubscriptionId&quot;: &quot;S68574751&quot;" in text or '"SubscriptionId": "S68574751"' in text
    assert "AlignmentCustomerGrossPrice" in text and "1159.89" in text
    assert "<pre" in text
    assert b'name="_save"' not in page.content


def test_no_add_change_or_delete_on_ledger_rows(admin_client, quotes):
    entry = LedgerEntry.objects.filter(quote=quotes["increase"]).first()
    before = (entry.action, entry.data)
    assert admin_client.get(reverse("admin:subscriptions_ledgerentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:subscriptions_ledgerentry_add"), {"action": "x.y"}).status_code == 403
    change_url = reverse("admin:subscriptions_ledgerentry_change", args=[entry.pk])
    page = admin_client.get(change_url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert admin_client.post(change_url, {"action": "change.forged"}).status_code == 403
    delete_url = reverse("admin:subscriptions_ledgerentry_delete", args=[entry.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = admin_client.post(
        reverse("admin:subscriptions_ledgerentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert (entry.action, entry.data) == before
    for name in ("quote", "consent", "assistedchange"):
        assert admin_client.get(reverse(f"admin:subscriptions_{name}_add")).status_code == 403


def test_a_staff_entry_needs_a_customer_or_a_quote(anna):
    with transaction.atomic(), pytest.raises(ValueError):
        ledger.record(action="staff.viewed_subscription", data={})
    with transaction.atomic():
        entry = ledger.record(action="staff.viewed_subscription", customer=anna, subscription_id=MONTHLY, data={})
    assert (entry.quote, entry.subscription_id) == (None, MONTHLY)
