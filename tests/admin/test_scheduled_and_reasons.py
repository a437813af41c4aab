"""The console and the new changes: what is scheduled at the vendor, why customers cancel (on the change page and
as CSV, the export ledgered), the change list by kind, and agents preparing every new kind for the customer."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from subscriptions.exports import REASON_COLUMNS
from subscriptions.models import AssistedChange, ChangeKind, LedgerEntry, Quote
from tests.cast import BACKUP, CLOUDIFY_S, MONTHLY
from tests.changes.scheduled import commit, quote

pytestmark = pytest.mark.django_db
WHY = {"reason_code": "missing_features", "reason_text": "No SSO."}


@pytest.fixture
def scenario(scenario):
    """Anna's monthly plan with Cloudify Backup, and the cheaper monthly plan the demo catalog switches to."""
    scenario["subscriptions"][0]["items"].append({"product_id": BACKUP, "quantity": 1})
    scenario["products"].append(
        {
            "id": CLOUDIFY_S,
            "name": "Cloudify S",
            "interval": "P1M",
            "prices": {"USD": [{"from": 1, "unit_gross": "50.00"}]},
        }
    )
    return scenario


def _customer_page(agent_client, customer) -> str:
    return agent_client.get(reverse("admin:subscriptions_customer_change", args=[customer.pk])).content.decode()


def test_the_customer_page_shows_scheduled_versions_removals_and_the_end(agent_client, anna, catalog, vendor):
    assert "Ends on" not in _customer_page(agent_client, anna)
    commit(anna, quote(anna, MONTHLY, ChangeKind.REDUCE, running_no=1, quantity=8))
    commit(anna, quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2))
    commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL, details=WHY))

    page = _customer_page(agent_client, anna)

    assert "From 23 May 2026: 8 seats of Cloudify M (293160), $640.00" in page
    assert "Removed on 23 May 2026" in page
    assert "Ends on 23 May 2026" in page


def test_the_change_page_shows_the_cancellation_reason(agent_client, anna, catalog, vendor):
    cancel = commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL, details=WHY)).quote
    resume = quote(anna, MONTHLY, ChangeKind.RESUME)

    page = agent_client.get(reverse("admin:subscriptions_quote_change", args=[cancel.pk])).content.decode()
    other = agent_client.get(reverse("admin:subscriptions_quote_change", args=[resume.pk])).content.decode()

    assert "Cancellation" in page and "Missing features" in page and "No SSO." in page
    assert "Manual" in page and "23 May 2026, 15:57 UTC" in page  # renewal type sent, when it takes effect
    assert "Missing features" not in other and ">Cancellation<" not in other


def test_the_change_list_filters_by_kind_and_reason(agent_client, anna, catalog, vendor):
    reduced = quote(anna, MONTHLY, ChangeKind.REMOVE_ADDON, running_no=2)
    cancel = commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL, details=WHY)).quote
    url = reverse("admin:subscriptions_quote_changelist")

    by_kind = agent_client.get(url, {"kind__exact": "cancel"}).context["cl"].result_list
    by_reason = agent_client.get(url, {"reason_code__exact": "missing_features"}).context["cl"].result_list

    assert list(by_kind) == [cancel] and list(by_reason) == [cancel]
    assert reduced not in list(by_kind)


def test_the_cancellation_reasons_export(agent_client, agent, anna, catalog, vendor):
    cancel = commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL, details=WHY)).quote
    other = quote(anna, MONTHLY, ChangeKind.RESUME)

    response = agent_client.post(
        reverse("admin:subscriptions_quote_changelist"),
        {"action": "export_cancellation_reasons", "_selected_action": [cancel.pk, other.pk]},
    )

    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == REASON_COLUMNS
    assert rows[1][1:] == [
        "159215775",
        "anna.schmidt@example.com",
        "S68574751",
        "committed",
        "2026-05-23",
        "missing_features",
        "Missing features",
        "No SSO.",
        "en",
    ]
    assert len(rows) == 2  # the resume is no cancellation
    entry = LedgerEntry.objects.get(action="staff.exported_cancellation_reasons")
    assert (entry.customer, entry.staff_user, entry.quote) == (anna, agent, None)
    assert entry.data == {"scope": {"selection": "quote", "ids": sorted([cancel.pk, other.pk])}, "rows": 1}


def test_without_the_export_permission_no_reasons_leave(agent, agent_client, anna, catalog, vendor):
    cancel = commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL, details=WHY)).quote
    group = agent.groups.get()
    group.permissions.remove(Permission.objects.get(codename="export_ledger"))

    response = agent_client.post(
        reverse("admin:subscriptions_quote_changelist"),
        {"action": "export_cancellation_reasons", "_selected_action": [cancel.pk]},
    )

    assert not response.get("Content-Type", "").startswith("text/csv")
    assert not LedgerEntry.objects.filter(action="staff.exported_cancellation_reasons").exists()


def _prepare(agent_client, customer, subscription_id, **fields):
    url = reverse("admin:subscriptions_customer_prepare", args=[customer.pk])
    return agent_client.post(url, {"subscription_id": subscription_id, **fields})


def test_the_prepare_page_offers_the_new_kinds(agent_client, anna, catalog, vendor):
    page = agent_client.get(reverse("admin:subscriptions_customer_prepare", args=[anna.pk])).content.decode()
    for kind in ("reduce", "switch_now", "switch_later", "remove_addon", "cancel"):
        assert f'name="kind" value="{kind}"' in page, kind
    assert 'name="reason_code"' in page and "Missing features" in page


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"kind": "reduce", "running_no": 1, "quantity": 8}, ChangeKind.REDUCE),
        ({"kind": "switch_later", "running_no": 1, "product_id": CLOUDIFY_S}, ChangeKind.SWITCH_LATER),
        ({"kind": "remove_addon", "running_no": 2}, ChangeKind.REMOVE_ADDON),
        ({"kind": "cancel", **WHY}, ChangeKind.CANCEL),
    ],
)
def test_an_agent_prepares_each_new_kind_and_the_customer_consents(
    agent_client, anna, catalog, vendor, scenario, mailoutbox, fields, kind
):
    response = _prepare(agent_client, anna, MONTHLY, **fields)

    assert response.status_code == 302, response.content
    prepared = AssistedChange.objects.get()
    assert prepared.quote.kind == kind
    if kind == ChangeKind.CANCEL:
        assert (prepared.quote.reason_code, prepared.quote.reason_text) == ("missing_features", "No SSO.")
    sent = agent_client.post(reverse("admin:subscriptions_assistedchange_send", args=[prepared.pk]))
    assert sent.status_code == 302 and len(mailoutbox) == 1
    assert f"{kind.label} on subscription S68574751" in mailoutbox[0].body
    assert commit(anna, Quote.objects.get(pk=prepared.quote.pk)).state == "committed"


def test_a_cancellation_reads_as_charging_nothing_and_billing_nothing_more(agent_client, anna, catalog, vendor):
    cancel = commit(anna, quote(anna, MONTHLY, ChangeKind.CANCEL, details=WHY)).quote

    change = agent_client.get(reverse("admin:subscriptions_quote_change", args=[cancel.pk])).content.decode()
    listing = agent_client.get(reverse("admin:subscriptions_quote_changelist")).content.decode()
    customer = _customer_page(agent_client, anna)

    assert "not stated by the vendor yet" not in change and "this kind of change charges nothing now" in change
    assert "0 → 0" not in listing  # a cancellation has no seats to go from and to
    assert "Not billed again: automatic renewal is off" in customer and "Next billing 23 May" not in customer
