"""A customer in the console: sign-ins, live subscriptions (read through the client, ledgered), changes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from subscriptions.models import Customer, LedgerEntry
from tests.cast import MONTHLY
from tests.changes.flows import preview

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_live_subscriptions_and_records_the_look(agent_client, agent, anna, vendor, catalog):
    page = agent_client.get(reverse("admin:subscriptions_customer_change", args=[anna.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Subscriptions at the vendor now" in text
    assert "S68574751" in text and "Cloudify M" in text and "$800.00" in text
    assert "Prepare a change" in text
    entry = LedgerEntry.objects.get(action="staff.viewed_subscription")
    assert (entry.customer, entry.staff_user, entry.quote) == (anna, agent, None)
    assert entry.data == {"subscriptions": ["S68574751", "S68574799", "S68841753"]}


def test_a_vendor_failure_is_a_message_not_an_error_page(agent_client, anna, vendor):
    vendor.fault("getsubscriptionsforcustomer", status=500, count=5)
    page = agent_client.get(reverse("admin:subscriptions_customer_change", args=[anna.pk]))
    assert page.status_code == 200
    assert b"could not be read" in page.content and b"Nothing was changed" in page.content
    assert not LedgerEntry.objects.filter(action="staff.viewed_subscription").exists()


def test_the_page_lists_every_change(agent_client, anna_client, anna, vendor):
    preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    page = agent_client.get(reverse("admin:subscriptions_customer_change", args=[anna.pk]))
    assert b"Add seats now" in page.content and b"Waiting for the customer to agree" in page.content


def test_the_list_shows_sign_ins_and_finds_by_id_or_email(agent_client, anna, otto):
    from subscriptions.models import SignInLink

    _link, raw = SignInLink.issue(kind="email", vendor_customer_id=anna.vendor_id, minutes=15)
    SignInLink.consume(raw, kind="email")
    url = reverse("admin:subscriptions_customer_changelist")
    page = agent_client.get(url)
    assert page.context["cl"].result_list.get(pk=anna.pk)._sign_ins == 1
    for term, expected in (("159215775", [anna]), ("otto@", [otto]), ("nobody", [])):
        found = list(agent_client.get(url, {"q": term}).context["cl"].result_list)
        assert found == expected, term


def test_finding_a_customer_at_the_vendor_creates_the_local_row(agent_client, vendor):
    url = reverse("admin:subscriptions_customer_find")
    response = agent_client.post(url, {"email": "anna.schmidt@example.com"})
    anna = Customer.objects.get(vendor_id=159215775)
    assert response["Location"] == reverse("admin:subscriptions_customer_change", args=[anna.pk])
    assert anna.email == "anna.schmidt@example.com"
    unknown = agent_client.post(url, {"email": "nobody@example.com"})
    assert unknown.status_code == 200 and b"no subscriptions" in unknown.content
