"""The ledger as CSV: exact content, by date range or selection, and every export is itself ledgered."""

from __future__ import annotations

import csv
import io
from datetime import UTC

import pytest
from django.urls import reverse

from subscriptions.exports import COLUMNS
from subscriptions.models import ChangeKind, LedgerEntry, Quote
from tests.admin.otp import verified
from tests.cast import CLOUDIFY_S, MONTHLY, with_plans
from tests.changes import scheduled
from tests.changes.flows import commit, preview

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)
    Quote.objects.filter(pk=quote.pk).update(purchase_id=998877)
    quote.refresh_from_db()
    return quote


def _time(entry: LedgerEntry) -> str:
    return entry.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_date_range_export_has_exactly_the_ledger(agent_client, agent, committed):
    entries = list(LedgerEntry.objects.filter(quote=committed).order_by("created_at", "id"))
    day = entries[0].created_at.date().isoformat()
    rows = _rows(agent_client.get(reverse("admin:subscriptions_ledger_export"), {"since": day, "until": day}))
    quoted = ["1159.89", "974.70", "185.19", "2000.00"]
    charged = {"change.committed": [*quoted, "commit answer"]}
    common = ["159215775", "anna.schmidt@example.com", "S68574751", "1", "increase", "10", "25", "USD"]
    assert rows == [
        COLUMNS,
        *[
            [
                _time(entry),
                entry.action,
                *common,
                *charged.get(entry.action, [""] * 5),
                *quoted,
                "998877",
                "customer 159215775",
                "127.0.0.1",
                "Cloudify M",
                "",
                "",
                "",
            ]
            for entry in entries
        ],
    ]
    assert [entry.action for entry in entries] == [
        "change.quoted",
        "change.consented",
        "change.commit_sent",
        "change.committed",
    ]
    export = LedgerEntry.objects.get(action="staff.exported_ledger")
    assert (export.customer, export.staff_user, export.quote) == (committed.customer, agent, None)
    assert export.data == {"scope": {"since": day, "until": day}, "rows": 4}


def test_staff_actions_appear_with_the_agent_as_actor(agent_client, anna, vendor, committed):
    agent_client.get(reverse("admin:subscriptions_customer_change", args=[anna.pk]))
    viewed = LedgerEntry.objects.get(action="staff.viewed_subscription")
    day = viewed.created_at.date().isoformat()
    rows = _rows(agent_client.get(reverse("admin:subscriptions_ledger_export"), {"since": day, "until": day}))
    assert rows[-1] == [
        _time(viewed),
        "staff.viewed_subscription",
        "159215775",
        "anna.schmidt@example.com",
        *[""] * 16,
        "agent",
        "127.0.0.1",
        *[""] * 4,
    ]


def test_an_empty_range_has_only_the_header(agent_client, committed):
    rows = _rows(
        agent_client.get(reverse("admin:subscriptions_ledger_export"), {"since": "2001-01-01", "until": "2001-01-31"})
    )
    assert rows == [COLUMNS]
    assert not LedgerEntry.objects.filter(action="staff.exported_ledger").exists()


def test_a_bad_range_shows_the_form_again(agent_client):
    page = agent_client.get(
        reverse("admin:subscriptions_ledger_export"), {"since": "2026-05-02", "until": "2026-05-01"}
    )
    assert page.status_code == 200 and "must not be before" in page.content.decode()


def test_exporting_a_selection_of_changes(agent_client, committed):
    response = agent_client.post(
        reverse("admin:subscriptions_quote_changelist"),
        {"action": "export_csv", "_selected_action": [committed.pk]},
    )
    rows = _rows(response)
    assert [row[1] for row in rows[1:]] == [
        "change.quoted",
        "change.consented",
        "change.commit_sent",
        "change.committed",
    ]
    export = LedgerEntry.objects.get(action="staff.exported_ledger")
    assert export.data["scope"] == {"selection": "quote", "ids": [committed.pk]}


def test_exporting_a_selection_of_ledger_rows(agent_client, committed):
    first = LedgerEntry.objects.filter(quote=committed).order_by("id").first()
    response = agent_client.post(
        reverse("admin:subscriptions_ledgerentry_changelist"),
        {"action": "export_csv", "_selected_action": [first.pk]},
    )
    rows = _rows(response)
    assert len(rows) == 2 and rows[1][1] == "change.quoted"


def test_without_the_permission_there_is_no_export(roleless, django_user_model, committed):
    from django.contrib.auth.models import Permission

    roleless.user_permissions.add(Permission.objects.get(codename="view_ledgerentry"))
    client = verified(roleless)
    day = committed.created_at.date().isoformat()
    assert client.get(reverse("admin:subscriptions_ledger_export"), {"since": day, "until": day}).status_code == 403
    page = client.get(reverse("admin:subscriptions_ledgerentry_changelist"))
    assert page.status_code == 200 and b"export_csv" not in page.content


@pytest.fixture
def scenario(scenario):
    return with_plans(scenario, CLOUDIFY_S)


def test_a_scheduled_change_and_a_cancellation_say_what_when_and_why(agent_client, anna, catalog, vendor):
    switch = scheduled.quote(anna, MONTHLY, ChangeKind.SWITCH_LATER, running_no=1, product_id=CLOUDIFY_S)
    scheduled.commit(anna, switch)
    cancel = scheduled.quote(anna, MONTHLY, ChangeKind.CANCEL, details={"reason_code": "too_expensive"})
    scheduled.commit(anna, cancel)
    day = LedgerEntry.objects.latest("sequence").created_at.date().isoformat()

    rows = _rows(agent_client.get(reverse("admin:subscriptions_ledger_export"), {"since": day, "until": day}))
    by_kind = {row[COLUMNS.index("kind")]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}

    switch, cancel = by_kind["switch_later"], by_kind["cancel"]
    assert (switch["product"], switch["new_product"]) == ("Cloudify M", "Cloudify S")
    assert switch["takes_effect"] == cancel["takes_effect"] == "2026-05-23T15:57:14.106747Z"
    assert cancel["reason"] == "too_expensive"
