"""The records say what the vendor charged: a commit three days after its quote is charged less than quoted.

The guide's figures: 15 seats quoted at 1159.89 (974.70 net + 185.19 VAT) on 24 April 2026, 16:01:10 UTC, and
committed on 27 April 2026, 15:59:20 UTC for 1039.94 (873.90 net + 166.04 VAT). The CSV export and the admin show
1039.94 as charged, with 1159.89 beside it as quoted.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from subscriptions.exports import COLUMNS
from subscriptions.models import Quote, QuoteState
from subscriptions.reconcile import reconcile_quote
from tests.cast import MONTHLY
from tests.changes.flows import commit, preview
from tests.notifications.conftest import _notification_settings, queue  # noqa: F401

pytestmark = pytest.mark.django_db

COMMIT_NOW = "2026-04-27T15:59:20Z"
QUOTED = ["1159.89", "974.70", "185.19", "2000.00"]
CHARGED = ["1039.94", "873.90", "166.04", "2000.00"]


def _later_commit(anna_client, vendor, *, fault: str | None = None) -> Quote:
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    assert quote.charge_now_gross == Decimal("1159.89")
    vendor.clock(COMMIT_NOW)
    if fault:
        vendor.fault("increasesubscriptionitemquantity", on="commit", mode=fault, status=500)
    commit(anna_client, quote)
    quote.refresh_from_db()
    return quote


def _export(agent_client, quote: Quote) -> dict[str, dict[str, str]]:
    """The export's rows of `quote`, by action, as column → cell."""
    day = quote.created_at.date().isoformat()
    response = agent_client.get(reverse("admin:subscriptions_ledger_export"), {"since": day, "until": day})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == COLUMNS
    return {row[1]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}


def _amounts(row: dict[str, str]) -> dict[str, str]:
    return {name: row[name] for name in COLUMNS if name.startswith(("charged_", "quoted_")) or name == "currency"}


def _charged(values: list[str], source: str) -> dict[str, str]:
    names = ["charged_now_gross", "charged_now_net", "charged_now_vat", "charged_recurring_gross"]
    return {**dict(zip(names, values, strict=True)), "charged_source": source}


def _quoted() -> dict[str, str]:
    names = ["quoted_now_gross", "quoted_now_net", "quoted_now_vat", "quoted_recurring_gross"]
    return dict(zip(names, QUOTED, strict=True))


NOT_CHARGED = _charged(["", "", "", ""], "")


def _changelist_cell(agent_client, quote: Quote) -> str:
    html = agent_client.get(reverse("admin:subscriptions_quote_changelist")).content.decode()
    assert "<span>Charged now</span>" in html or ">Charged now<" in html
    row = html.split(f'value="{quote.pk}"', 1)[1].split("</tr>", 1)[0]
    return row.split('<td class="field-charged_now">', 1)[1].split("</td>", 1)[0]


def test_a_commit_cheaper_than_its_quote_is_exported_as_charged(agent_client, anna_client, vendor, queue):  # noqa: F811
    quote = _later_commit(anna_client, vendor)
    assert quote.state == QuoteState.COMMITTED
    assert quote.confirmed_charge_now_gross == Decimal("1039.94")
    [purchase] = vendor.purchases(MONTHLY)
    assert [str(purchase[name]) for name in ("GrossPrice", "NetPrice", "VatPrice")] == ["1039.94", "873.9", "166.04"]

    queue.run()
    quote.refresh_from_db()
    assert quote.state == QuoteState.PAID

    rows = _export(agent_client, quote)
    assert list(rows) == ["change.quoted", "change.consented", "change.commit_sent", "change.committed", "change.paid"]
    for action in ("change.quoted", "change.consented", "change.commit_sent"):
        assert _amounts(rows[action]) == {"currency": "USD", **NOT_CHARGED, **_quoted()}, action
    assert _amounts(rows["change.committed"]) == {"currency": "USD", **_charged(CHARGED, "commit answer"), **_quoted()}
    assert _amounts(rows["change.paid"]) == {"currency": "USD", **_charged(CHARGED, "paid notification"), **_quoted()}
    assert rows["change.paid"]["purchase_id"] == str(quote.purchase_id)


def test_the_admin_shows_the_charge_with_the_quote_beneath(agent_client, anna_client, vendor, queue):  # noqa: F811
    quote = _later_commit(anna_client, vendor)

    assert _changelist_cell(agent_client, quote) == "$1,039.94<br><small>quoted $1,159.89</small>"
    page = agent_client.get(reverse("admin:subscriptions_quote_change", args=[quote.pk])).content.decode()
    assert "$1,039.94 ($873.90 net + $166.04 VAT), per the vendor (commit answer)" in page
    assert "$1,159.89 ($974.70 net + $185.19 VAT)" in page
    assert "$2,000.00 ($1,680.67 net + $319.33 VAT), per the vendor (commit answer)" in page
    assert "1159.890" not in page and "1039.940" not in page and "2000.000" not in page

    customer_page = agent_client.get(reverse("admin:subscriptions_customer_change", args=[quote.customer.pk]))
    html = customer_page.content.decode()
    assert "$1,039.94<br><small>quoted $1,159.89</small>" in html
    assert "1159.890" not in html


def test_an_equal_charge_is_shown_once(agent_client, anna_client, vendor, queue):  # noqa: F811
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)

    assert _changelist_cell(agent_client, quote) == "$1,159.89"


def test_a_quote_not_yet_committed_shows_only_what_was_quoted(agent_client, anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)

    assert _changelist_cell(agent_client, quote) == "<small>quoted $1,159.89</small>"


def test_a_lost_commit_answer_is_charged_as_the_paid_notification_says(agent_client, anna_client, vendor, queue):  # noqa: F811
    quote = _later_commit(anna_client, vendor, fault="apply_then_error")
    assert quote.state == QuoteState.OUTCOME_UNKNOWN
    assert quote.sent_charge_now_gross == Decimal("1039.94")

    queue.run(only="deliver_notification")
    queue.run(only="process_notification")
    quote.refresh_from_db()
    assert quote.state == QuoteState.PAID and quote.confirmed_charge_now_gross is None

    rows = _export(agent_client, quote)
    assert _amounts(rows["change.outcome_unknown"]) == {"currency": "USD", **NOT_CHARGED, **_quoted()}
    paid_by_notification = _charged(["1039.94", "", "", ""], "paid notification")
    assert _amounts(rows["change.confirmed_applied"]) == {"currency": "USD", **paid_by_notification, **_quoted()}
    assert _amounts(rows["change.paid"]) == {"currency": "USD", **paid_by_notification, **_quoted()}

    assert _changelist_cell(agent_client, quote) == "$1,039.94<br><small>quoted $1,159.89</small>"
    page = agent_client.get(reverse("admin:subscriptions_quote_change", args=[quote.pk])).content.decode()
    assert "$1,039.94, per the vendor (paid notification); no net and VAT given" in page
    assert "Fresh preview sent with the commit" in page and "$1,039.94</div>" in page


def test_a_change_confirmed_by_a_read_has_no_charge_until_it_is_paid(agent_client, anna_client, vendor, queue):  # noqa: F811
    quote = _later_commit(anna_client, vendor, fault="apply_then_error")
    assert reconcile_quote(quote_id=quote.pk, now=quote.commit_sent_at + timedelta(seconds=5)) == "committed"

    rows = _export(agent_client, quote)
    assert _amounts(rows["change.confirmed_applied"]) == {"currency": "USD", **NOT_CHARGED, **_quoted()}
    assert _changelist_cell(agent_client, quote) == "<small>quoted $1,159.89</small>"
    page = agent_client.get(reverse("admin:subscriptions_quote_change", args=[quote.pk])).content.decode()
    assert "not stated by the vendor yet" in page


def test_amounts_use_the_currencys_minor_unit(agent_client, anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)
    Quote.objects.filter(pk=quote.pk).update(
        currency="JPY",
        charge_now_gross=Decimal("1160.000"),
        confirmed_charge_now_gross=Decimal("1040.000"),
        confirmed_charge_now_net=Decimal("874.000"),
        confirmed_charge_now_vat=Decimal("166.000"),
    )

    assert _changelist_cell(agent_client, quote) == "¥1,040<br><small>quoted ¥1,160</small>"
