"""Agent prepares → e-mail → the customer consents and commits → the ledger shows both people."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from subscriptions.models import AssistedChange, LedgerEntry, Quote, QuoteState
from tests.cast import MONTHLY, OTTOS, YEARLY
from tests.changes.flows import commit

pytestmark = pytest.mark.django_db


def prepare(agent_client, customer, subscription_id, **fields):
    url = reverse("admin:subscriptions_customer_prepare", args=[customer.pk])
    return agent_client.post(url, {"subscription_id": subscription_id, **fields})


def test_the_prepare_page_lists_the_live_subscriptions_and_their_offers(agent_client, anna, vendor, catalog):
    page = agent_client.get(reverse("admin:subscriptions_customer_prepare", args=[anna.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "S68574751" in text and "S68841753" in text
    assert "Second seat at 600.00/year" in text and "Add Cloudify Backup" in text


def test_assisted_change_end_to_end(agent_client, agent, anna, vendor, catalog, mailoutbox):
    response = prepare(agent_client, anna, MONTHLY, kind="increase", running_no=1, quantity=15)
    prepared = AssistedChange.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:subscriptions_assistedchange_change", args=[prepared.pk])
    quote = prepared.quote
    assert (quote.customer, quote.quantity_before, quote.quantity_after) == (anna, 10, 25)
    assert str(quote.charge_now_gross) == "1159.890"
    assert quote.expires_at - quote.created_at == timedelta(hours=24)
    assert vendor.purchases(MONTHLY) == []

    page = agent_client.get(response["Location"])
    assert b"1,159.89" in page.content and b"E-mail the consent link" in page.content

    sent = agent_client.post(reverse("admin:subscriptions_assistedchange_send", args=[prepared.pk]))
    assert sent.status_code == 302
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["anna.schmidt@example.com"]
    link = re.search(r"http://[^\s]+/sign-in/[^\s]+/", mail.body).group(0)
    path = link.split("127.0.0.1:8000", 1)[-1]

    # The agent cannot commit it, even with the quote id.
    refused = commit(agent_client, quote)
    assert refused.status_code == 302 and refused["Location"].startswith(reverse("subscriptions:sign_in"))
    quote.refresh_from_db()
    assert quote.state == QuoteState.QUOTED

    customer = Client()
    assert customer.get(path).status_code == 200
    signed_in = customer.post(path)
    assert signed_in["Location"] == reverse("subscriptions:quote", args=[quote.public_id])
    assert b"1,159.89" in customer.get(signed_in["Location"]).content
    done = commit(customer, quote)
    assert done.status_code == 302
    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    assert len(vendor.purchases(MONTHLY)) == 1
    assert vendor.current_items(MONTHLY)[293160]["Quantity"] == 25

    entries = list(LedgerEntry.objects.filter(quote=quote).order_by("created_at", "id"))
    actions = [entry.action for entry in entries]
    assert actions[:3] == ["change.quoted", "change.prepared_by_agent", "change.consent_link_sent"]
    assert "change.consented" in actions and actions[-1] == "change.committed"
    by_action = {entry.action: entry for entry in entries}
    assert by_action["change.prepared_by_agent"].staff_user == agent
    assert by_action["change.quoted"].staff_user == agent
    assert by_action["change.consented"].customer == anna
    assert by_action["change.consented"].staff_user is None

    history = agent_client.get(reverse("admin:subscriptions_quote_change", args=[quote.pk])).content.decode()
    assert "change.prepared_by_agent" in history and "staff: agent" in history
    assert "change.consented" in history and "customer: 159215775" in history


def test_an_agent_cannot_prepare_a_change_on_another_customers_subscription(agent_client, anna, otto, vendor, catalog):
    response = prepare(agent_client, anna, OTTOS, kind="increase", running_no=1, quantity=1)
    assert response.status_code == 200
    assert b"belongs to another customer" in response.content
    assert not Quote.objects.exists()


def test_the_catalog_rules_apply_to_agents_too(agent_client, anna, vendor, catalog):
    response = prepare(agent_client, anna, MONTHLY, kind="increase", running_no=1, quantity=5000)
    assert response.status_code == 200
    assert not Quote.objects.exists()


def test_coterm_and_addon_can_be_prepared(agent_client, anna, vendor, catalog):
    prepare(agent_client, anna, YEARLY, kind="coterm", running_no=1, product_id=294835)
    prepare(agent_client, anna, MONTHLY, kind="addon", product_id=293161)
    kinds = sorted(AssistedChange.objects.values_list("quote__kind", flat=True))
    assert kinds == ["addon", "coterm"]


def test_a_vendor_failure_while_preparing_is_a_message(agent_client, anna, vendor, catalog):
    vendor.fault("increasesubscriptionitemquantity", status=500, count=5)
    response = prepare(agent_client, anna, MONTHLY, kind="increase", running_no=1, quantity=2)
    assert response.status_code == 200
    assert b"Nothing was changed" in response.content
    assert not Quote.objects.exists()


def test_without_the_permission_nothing_is_prepared(roleless, anna, vendor, catalog):
    from tests.admin.otp import verified

    response = prepare(verified(roleless), anna, MONTHLY, kind="increase", running_no=1, quantity=2)
    assert response.status_code == 403
    assert not Quote.objects.exists()
