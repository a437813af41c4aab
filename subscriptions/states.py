"""Where a quote and an inbound notification may go next, and the one way to move them there.

Each record that changes state has one table of allowed moves and one function that, in one transaction,
locks the row, checks the move against the table (and the caller's precondition), writes the state with
the other fields, and appends the ledger entry. A notification is born in one of its initial statuses
(`notification_create`, checked against `NOTIFICATION_INITIAL`). Nothing else assigns `Quote.state` or
`InboundNotification.status`, so two processes acting on one row at once can never both win: the second
finds the row moved on and is told so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from subscriptions import ledger
from subscriptions.models import Customer, InboundNotification, NotificationStatus, Quote, QuoteState

__all__ = [
    "NOTIFICATION_INITIAL",
    "NOTIFICATION_MOVES",
    "QUOTE_MOVES",
    "IllegalMove",
    "notification_create",
    "notification_move",
    "quote_mark",
    "quote_move",
    "support_flag",
]

QUOTE_MOVES: Mapping[str, frozenset[str]] = {
    QuoteState.QUOTED: frozenset({QuoteState.COMMITTING}),
    QuoteState.COMMITTING: frozenset(
        {
            QuoteState.SUPERSEDED,
            QuoteState.COMMITTED,
            QuoteState.REJECTED,
            QuoteState.NOT_SENT,
            QuoteState.OUTCOME_UNKNOWN,
        }
    ),
    QuoteState.OUTCOME_UNKNOWN: frozenset(
        {QuoteState.COMMITTED, QuoteState.REJECTED, QuoteState.FAILED, QuoteState.OUTCOME_UNKNOWN}
    ),
    QuoteState.COMMITTED: frozenset({QuoteState.PAID}),
    QuoteState.REJECTED: frozenset({QuoteState.COMMITTED}),
    QuoteState.FAILED: frozenset({QuoteState.COMMITTED}),
}
"""From-state → the states a quote may move to. Absent states (paid, not_sent, ...) are final.

Rejected and failed follow a sent commit: a read that later shows the change after all makes them committed
(flagged for support), so the receipt never keeps saying "nothing was charged" about a charge.
"""

NOTIFICATION_INITIAL: frozenset[str] = frozenset(
    {
        NotificationStatus.PENDING,
        NotificationStatus.MALFORMED,
        NotificationStatus.IGNORED,
        NotificationStatus.DUPLICATE,
        NotificationStatus.RECEIVED,
    }
)
"""The statuses a delivery is stored with: what reading it found, or `received` (the raw body alone, kept when the
row could not be stored in full)."""

NOTIFICATION_MOVES: Mapping[str, frozenset[str]] = {
    NotificationStatus.PENDING: frozenset(
        {
            NotificationStatus.PENDING,
            NotificationStatus.ERROR,
            NotificationStatus.PROCESSED,
            NotificationStatus.UNMATCHED,
            NotificationStatus.MALFORMED,
        }
    ),
    NotificationStatus.ERROR: frozenset(
        {
            NotificationStatus.PENDING,
            NotificationStatus.ERROR,
            NotificationStatus.PROCESSED,
            NotificationStatus.UNMATCHED,
            NotificationStatus.MALFORMED,
        }
    ),
    NotificationStatus.UNMATCHED: frozenset({NotificationStatus.PENDING}),
}
"""From-status → the statuses a notification may move to. Pending → pending (and error → error) is a retry planned."""


Fields = Mapping[str, Any] | Callable[[Any], Mapping[str, Any]]
"""Field values to write with a move, or a function of the locked row giving them (e.g. one more attempt)."""


class IllegalMove(Exception):
    """A move the table does not allow was asked for: a mistake in the code, never a race."""


def _assign(locked: Quote | InboundNotification, fields: Fields | None) -> list[str]:
    values = fields(locked) if callable(fields) else (fields or {})
    if {"state", "status"} & set(values):
        raise IllegalMove("the state is set by the move, never as one of its fields")
    for name, value in values.items():
        setattr(locked, name, value)
    return list(values)


def _expected(table: Mapping[str, frozenset[str]], to: str, expect: Iterable[str] | None) -> frozenset[str]:
    allowed = frozenset(state for state, targets in table.items() if to in targets)
    if not allowed:
        raise IllegalMove(f"nothing may move to {to!r}")
    if expect is None:
        return allowed
    wanted = frozenset(expect)
    if not wanted <= allowed:
        raise IllegalMove(f"{sorted(wanted - allowed)} may not move to {to!r}")
    return wanted


def support_flag(quote: Quote) -> dict[str, Any]:
    """The fields that flag a quote for support, unless it already is (the first flag's time stands)."""
    return {} if quote.needs_support else {"needs_support": True, "support_flagged_at": timezone.now()}


def quote_move(
    *,
    quote: Quote | int,
    to: str,
    action: str,
    data: dict[str, Any] | None = None,
    expect: Iterable[str] | None = None,
    fields: Fields | None = None,
    check: Callable[[Quote], bool] | None = None,
    customer: Customer | None = None,
    ip: str | None = None,
    staff_user=None,
    now: datetime | None = None,
) -> Quote | None:
    """Move a quote to `to` with its ledger entry `action`; the moved row, or None when it had moved on.

    `expect` narrows the states to move from (default: every state the table allows to reach `to`);
    `check` is a further precondition on the locked row (e.g. no commit sent yet). The ledger entry
    carries the quote as it is after the move, plus `data`.
    """
    allowed = _expected(QUOTE_MOVES, to, expect)
    pk = quote.pk if isinstance(quote, Quote) else quote
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=pk)
        if locked.state not in allowed or (check is not None and not check(locked)):
            return None
        locked.state = to
        locked.state_changed_at = now or timezone.now()
        locked.save(update_fields=["state", "state_changed_at", *_assign(locked, fields)])
        ledger.record(
            action=action,
            quote=locked,
            customer=customer,
            staff_user=staff_user,
            ip=ip,
            data={**ledger.quote_data(locked), **(data or {})},
        )
    return locked


def quote_mark(
    *,
    quote: Quote | int,
    expect: Iterable[str],
    action: str,
    fields: Fields,
    data: dict[str, Any] | None = None,
    check: Callable[[Quote], bool] | None = None,
    customer: Customer | None = None,
    ip: str | None = None,
) -> Quote | None:
    """Write fields of a quote that stays in its state (sent, flagged for support), with the ledger entry.

    Lock, check the state is one of `expect` (and `check`), write; None when it had moved on.
    """
    pk = quote.pk if isinstance(quote, Quote) else quote
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=pk)
        if locked.state not in frozenset(expect) or (check is not None and not check(locked)):
            return None
        locked.save(update_fields=_assign(locked, fields))
        ledger.record(
            action=action, quote=locked, customer=customer, ip=ip, data={**ledger.quote_data(locked), **(data or {})}
        )
    return locked


def notification_create(*, status: str, note: str = "", fields: Mapping[str, Any]) -> InboundNotification:
    """Store a delivery already in its receiving status: one INSERT, no move after it."""
    if status not in NOTIFICATION_INITIAL:
        raise IllegalMove(f"a notification is never stored as {status!r}")
    if {"state", "status"} & set(fields):
        raise IllegalMove("the status is set by the create, never as one of its fields")
    return InboundNotification.objects.create(status=status, note=note, **fields)


def notification_move(
    *,
    notification: InboundNotification | int,
    to: str,
    note: str,
    expect: Iterable[str] | None = None,
    fields: Fields | None = None,
) -> InboundNotification | None:
    """Move a notification to `to` with the `note` saying why; the moved row, or None when it had moved on.

    The caller's copy of the row may be stale (another worker may have processed it meanwhile), so the
    status is checked on the locked row. No ledger entry: a payment's entry is written by the quote's move
    in the same transaction.
    """
    allowed = _expected(NOTIFICATION_MOVES, to, expect)
    pk = notification.pk if isinstance(notification, InboundNotification) else notification
    with transaction.atomic():
        locked = InboundNotification.objects.select_for_update().get(pk=pk)
        if locked.status not in allowed:
            return None
        locked.status = to
        locked.note = note
        locked.save(update_fields=["status", "note", *_assign(locked, fields)])
    return locked
