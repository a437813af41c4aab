"""The ledger as CSV, for accounting and chargeback disputes.

One row per ledger entry, oldest first. Amounts are the plain strings the ledger stores (minor
units, never floats); times are UTC ISO 8601. Each export is itself written to the ledger
(`staff.exported_ledger`, one entry per customer in it) in the transaction that reads the rows.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from subscriptions import ledger
from subscriptions.models import Customer, LedgerEntry

__all__ = ["COLUMNS", "ledger_csv", "ledger_export"]

COLUMNS = [
    "time",
    "action",
    "customer_id",
    "email",
    "subscription",
    "item",
    "kind",
    "quantity_before",
    "quantity_after",
    "charge_now_gross",
    "charge_now_net",
    "charge_now_vat",
    "recurring_gross",
    "currency",
    "purchase_id",
    "actor",
    "ip",
]


def _row(entry: LedgerEntry) -> list[Any]:
    data = entry.data or {}
    quote = entry.quote
    customer = entry.customer or (quote.customer if quote is not None else None)

    def value(name: str) -> Any:
        found = data.get(name)
        if found is None and quote is not None:
            found = getattr(quote, name, None)
            if name in {"charge_now_gross", "charge_now_net", "charge_now_vat", "next_billing_gross"}:
                found = ledger.amount_text(found, quote.currency)
        return "" if found is None else found

    if entry.staff_user is not None:
        actor = entry.staff_user.get_username()
    elif entry.customer is not None:
        actor = f"customer {entry.customer.vendor_id}"
    else:
        actor = "system"
    item = data.get("running_no") or (quote.running_no if quote is not None else None)
    if item is None and data.get("kind") == "addon":
        item = data.get("new_product_id")
    purchase_id = data.get("purchase_id") or (getattr(quote, "purchase_id", None) if quote is not None else None)
    return [
        entry.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        entry.action,
        customer.vendor_id if customer is not None else "",
        customer.email if customer is not None else "",
        f"S{entry.subscription_id}" if entry.subscription_id else "",
        "" if item is None else item,
        value("kind"),
        value("quantity_before"),
        value("quantity_after"),
        value("charge_now_gross"),
        value("charge_now_net"),
        value("charge_now_vat"),
        value("next_billing_gross"),
        value("currency"),
        purchase_id or "",
        actor,
        entry.ip or "",
    ]


def ledger_csv(entries: QuerySet[LedgerEntry]) -> str:
    """The CSV text of `entries` (header first), oldest first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    rows = entries.select_related("quote__customer", "customer", "staff_user").order_by("created_at", "id")
    for entry in rows:
        writer.writerow(_row(entry))
    return out.getvalue()


def ledger_export(*, entries: QuerySet[LedgerEntry], staff_user, ip: str | None, scope: dict[str, Any]) -> str:
    """The CSV of `entries`, recorded as `staff.exported_ledger` for every customer it covers.

    `scope` says what was asked for (a date range or a selection) and goes into each entry's data.
    """
    with transaction.atomic():
        text = ledger_csv(entries)
        listed = entries.order_by().values_list("customer_id", "quote__customer_id")
        customer_ids = sorted({own or via for own, via in listed if own or via})
        count = entries.count()
        for customer in Customer.objects.filter(pk__in=customer_ids).order_by("pk"):
            ledger.record(
                action="staff.exported_ledger",
                customer=customer,
                staff_user=staff_user,
                ip=ip,
                data={"scope": scope, "rows": count},
            )
    return text
