"""The ledger as CSV, for accounting and chargeback disputes, and what the vendor charged for a change.

One row per ledger entry, oldest first. A change's rows carry what was quoted (what the customer
agreed to) and, on the rows that hold the vendor's own figure (its commit answer or its paid
notification), what was charged, with which of the two says so: a commit made days after its quote
is charged the fresh price, not the quoted one. Amounts are written in the currency's minor unit
("1159.89", never floats); times are UTC ISO 8601. Each export is itself written to the ledger
(`staff.exported_ledger`, one entry per customer in it) in the transaction that reads the rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from subscriptions import ledger
from subscriptions.models import ChangeKind, Customer, LedgerEntry, Quote, QuoteState

__all__ = [
    "COLUMNS",
    "COMMIT_ANSWER",
    "PAID_NOTIFICATION",
    "REASON_COLUMNS",
    "Charged",
    "cancellation_reasons_csv",
    "cancellation_reasons_export",
    "change_charged",
    "ledger_csv",
    "ledger_export",
]

COMMIT_ANSWER = "commit answer"
PAID_NOTIFICATION = "paid notification"

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
    "currency",
    "charged_now_gross",
    "charged_now_net",
    "charged_now_vat",
    "charged_recurring_gross",
    "charged_source",
    "quoted_now_gross",
    "quoted_now_net",
    "quoted_now_vat",
    "quoted_recurring_gross",
    "purchase_id",
    "actor",
    "ip",
    "product",
    "new_product",
    "takes_effect",
    "reason",
]


@dataclass(frozen=True)
class Charged:
    """What the vendor says it charged now for a change, and which of its messages says so (`source`).

    A paid notification names only the gross amount of the item, so `net` and `vat` are None when no
    commit answer gave them.
    """

    currency: str
    gross: Decimal
    net: Decimal | None
    vat: Decimal | None
    recurring_gross: Decimal | None
    source: str


def change_charged(quote: Quote) -> Charged | None:
    """The vendor's own figure for what `quote` charged now; None while the vendor has stated none.

    Its commit answer when there is one, else its paid notification (a commit whose answer was lost).
    Never the quote, nor the fresh preview sent with the commit: those are what was asked, not what was charged.
    """
    if quote.confirmed_charge_now_gross is not None:
        return Charged(
            currency=quote.currency,
            gross=quote.confirmed_charge_now_gross,
            net=quote.confirmed_charge_now_net,
            vat=quote.confirmed_charge_now_vat,
            recurring_gross=quote.confirmed_next_billing_gross,
            source=COMMIT_ANSWER,
        )
    if quote.state != QuoteState.PAID:
        return None
    paid = quote.ledger_entries.filter(action="change.paid").order_by("-created_at", "-id").first()
    return _notified(quote, paid.data.get("notification")) if paid is not None else None


def _entry_charged(entry: LedgerEntry) -> Charged | None:
    """The charge this entry itself reports: the commit answer it records, or the paid notification."""
    data = entry.data or {}
    confirmed = data.get("confirmed")
    if isinstance(confirmed, dict) and confirmed.get("charge_now_gross") is not None:
        currency = confirmed.get("currency") or data.get("currency") or ""
        return Charged(
            currency=currency,
            gross=_decimal(confirmed["charge_now_gross"]),
            net=_decimal(confirmed.get("charge_now_net")),
            vat=_decimal(confirmed.get("charge_now_vat")),
            recurring_gross=_decimal(confirmed.get("next_billing_gross")),
            source=COMMIT_ANSWER,
        )
    if entry.quote is not None:
        return _notified(entry.quote, data.get("notification"))
    return None


def _notified(quote: Quote, notification: Any) -> Charged | None:
    """The paid notification's amount; net, VAT and the recurring amount only from a commit answer that agrees."""
    if not isinstance(notification, dict) or notification.get("gross") in (None, ""):
        return None
    gross = _decimal(notification["gross"])
    answered = quote.confirmed_charge_now_gross is not None and quote.confirmed_charge_now_gross == gross
    return Charged(
        currency=notification.get("currency") or quote.currency,
        gross=gross,
        net=quote.confirmed_charge_now_net if answered else None,
        vat=quote.confirmed_charge_now_vat if answered else None,
        recurring_gross=quote.confirmed_next_billing_gross if answered else None,
        source=PAID_NOTIFICATION,
    )


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _charged_cells(charged: Charged | None) -> list[str]:
    if charged is None:
        return ["", "", "", "", ""]
    amounts = [charged.gross, charged.net, charged.vat, charged.recurring_gross]
    return [ledger.amount_text(amount, charged.currency) or "" for amount in amounts] + [charged.source]


def _row(entry: LedgerEntry) -> list[Any]:
    data = entry.data or {}
    quote = entry.quote
    customer = entry.customer or (quote.customer if quote is not None else None)

    def value(name: str) -> Any:
        found = data.get(name)
        if found is None and quote is not None:
            found = getattr(quote, name, None)
        return "" if found is None else found

    currency = value("currency")

    def quoted(name: str) -> str:
        return ledger.amount_text(_decimal(value(name)), currency) or ""

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
        _moment(entry.created_at),
        entry.action,
        customer.vendor_id if customer is not None else "",
        customer.email if customer is not None else "",
        f"S{entry.subscription_id}" if entry.subscription_id else "",
        "" if item is None else item,
        value("kind"),
        value("quantity_before"),
        value("quantity_after"),
        currency,
        *_charged_cells(_entry_charged(entry)),
        quoted("charge_now_gross"),
        quoted("charge_now_net"),
        quoted("charge_now_vat"),
        quoted("next_billing_gross"),
        purchase_id or "",
        actor,
        entry.ip or "",
        value("product_name"),
        value("new_product_name"),
        _moment(quote.effective_at) if quote is not None and quote.effective_at else "",
        value("reason_code"),
    ]


def _moment(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


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


# --- Why customers cancel -----------------------------------------------------------------------

REASON_COLUMNS = [
    "time",
    "customer_id",
    "email",
    "subscription",
    "state",
    "ends_on",
    "reason_code",
    "reason",
    "reason_text",
    "language",
]


def cancellation_reasons_csv(quotes: QuerySet[Quote]) -> str:
    """One row per cancellation among `quotes` (other kinds are left out), oldest first; English reason words."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REASON_COLUMNS)
    rows = quotes.filter(kind=ChangeKind.CANCEL).select_related("customer", "consent").order_by("created_at", "id")
    labels = dict(Quote._meta.get_field("reason_code").flatchoices)
    for quote in rows:
        consent = getattr(quote, "consent", None)
        writer.writerow(
            [
                _moment(quote.created_at),
                quote.customer.vendor_id,
                quote.customer.email,
                f"S{quote.subscription_id}",
                quote.state,
                quote.next_billing_date.astimezone(UTC).date().isoformat() if quote.next_billing_date else "",
                quote.reason_code,
                str(labels.get(quote.reason_code, "")) if quote.reason_code else "",
                quote.reason_text,
                consent.language if consent is not None else "",
            ]
        )
    return out.getvalue()


def cancellation_reasons_export(*, quotes: QuerySet[Quote], staff_user, ip: str | None, scope: dict[str, Any]) -> str:
    """The reasons CSV, recorded as `staff.exported_cancellation_reasons` for every customer it names."""
    with transaction.atomic():
        text = cancellation_reasons_csv(quotes)
        cancellations = quotes.filter(kind=ChangeKind.CANCEL)
        customer_ids = sorted(set(cancellations.order_by().values_list("customer_id", flat=True)))
        count = cancellations.count()
        for customer in Customer.objects.filter(pk__in=customer_ids).order_by("pk"):
            ledger.record(
                action="staff.exported_cancellation_reasons",
                customer=customer,
                staff_user=staff_user,
                ip=ip,
                data={"scope": scope, "rows": count},
            )
    return text
