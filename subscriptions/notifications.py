"""The vendor's payment notifications: receive, de-duplicate, match to a change, confirm, record.

Receiving stores the raw message first, in its own transaction, and only then parses it, so nothing
the vendor sent is ever lost, whatever it looks like. Processing runs in the background (a task):
the payload is a hint, never trusted on its word. A `PaidOrderNotification` is matched to the change
it pays for (subscription, running number, amount, time) and confirmed with a `getsubscription` read
before the change is marked paid, with its ledger entry in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from subscriptions import states, tasks
from subscriptions.applied import Applied, change_applied
from subscriptions.cleverbridge import CleverbridgeError, Rejected, Subscription, get_client
from subscriptions.cleverbridge.parsing import text
from subscriptions.cleverbridge.payloads import Malformed, PaidItem, PaidOrder, parse_paid_order
from subscriptions.cleverbridge.payloads import load as _load
from subscriptions.cleverbridge.payloads import type_of as _type_of
from subscriptions.models import ChangeKind, InboundNotification, NotificationStatus, Quote, QuoteState

logger = logging.getLogger(__name__)

__all__ = [
    "PAID_ORDER",
    "Malformed",
    "PaidItem",
    "PaidOrder",
    "Receipt",
    "notification_enqueue",
    "notification_process",
    "notification_receive",
    "notification_reprocess",
    "notifications_due",
    "notifications_kick",
    "parse_paid_order",
    "process_notification",
]

PAID_ORDER = "PaidOrderNotification"
DROPPED_HEADERS = {"authorization", "proxy-authorization", "cookie"}
MAX_HEADER_VALUE = 1000
MAX_RETRY_SECONDS = 3600
PROCESSABLE = (NotificationStatus.PENDING, NotificationStatus.ERROR)
REPROCESSABLE = (NotificationStatus.UNMATCHED, NotificationStatus.ERROR)


@dataclass(frozen=True)
class Receipt:
    """What the endpoint answers, and the row it stored."""

    status: int
    notification: InboundNotification


# --- Receiving --------------------------------------------------------------------------------


def sanitized_headers(meta: dict[str, Any]) -> dict[str, str]:
    """Request headers as sent, minus credentials and cookies (the secret is in the path, never stored)."""
    headers = {}
    for key, value in meta.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key.replace("_", "-").title()
        else:
            continue
        if name.lower() in DROPPED_HEADERS:
            continue
        headers[name] = text(str(value)[:MAX_HEADER_VALUE])
    return headers


def _received_as(notification: InboundNotification, status: str, note: str = "", **fields: Any) -> InboundNotification:
    """A delivery just stored (still `received`) takes what parsing found."""
    moved = states.notification_move(
        notification=notification, to=status, note=note, expect=[NotificationStatus.RECEIVED], fields=fields
    )
    return moved or InboundNotification.objects.get(pk=notification.pk)


def notification_receive(
    *, body: bytes, headers: dict[str, str], remote_addr: str | None, too_large: bool = False
) -> Receipt:
    """Store the delivery first, then parse and mark it; returns the HTTP status to answer. Bad input never raises."""
    with transaction.atomic():
        notification = InboundNotification.objects.create(
            headers=headers,
            remote_addr=remote_addr or None,
            body=text(body.decode("utf-8", errors="replace")),
            body_bytes=len(body),
        )
    if too_large:
        note = f"body larger than {settings.NOTIFICATION_MAX_BYTES} bytes"
        return Receipt(413, _received_as(notification, NotificationStatus.MALFORMED, note))
    try:
        data = _load(notification.body)
        kind = _type_of(data)
    except Malformed as exc:
        return Receipt(400, _received_as(notification, NotificationStatus.MALFORMED, str(exc)))
    if kind != PAID_ORDER:
        note = f"type {kind!r} is not handled"
        return Receipt(200, _received_as(notification, NotificationStatus.IGNORED, note, notification_type=kind))
    try:
        order = parse_paid_order(data)
    except Malformed as exc:
        return Receipt(400, _received_as(notification, NotificationStatus.MALFORMED, str(exc), notification_type=kind))

    fields = {
        "notification_type": kind,
        "purchase_id": order.purchase_id,
        "status_id": order.status_id,
        "subscription_id": order.items[0].subscription_id if order.items else None,
    }
    if order.is_test and not settings.CLEVERBRIDGE_ACCEPT_TEST_PURCHASES:
        status, note = NotificationStatus.IGNORED, "a test purchase (statusId TST), not accepted here"
    elif not order.items:
        status, note = NotificationStatus.IGNORED, "no subscription item in this purchase"
    else:
        status, note = NotificationStatus.PENDING, ""
    try:
        notification = _received_as(notification, status, note, **fields)
    except IntegrityError:
        return Receipt(200, _duplicate(notification, order, kind))
    if notification.status == NotificationStatus.PENDING:
        notification_enqueue(notification.pk)
    return Receipt(200, notification)


def _duplicate(notification: InboundNotification, order: PaidOrder, kind: str) -> InboundNotification:
    """A replay: kept, linked to the original, counted there; nothing else changes."""
    original = InboundNotification.objects.get(
        purchase_id=order.purchase_id, notification_type=kind, duplicate_of__isnull=True
    )
    now = timezone.now()
    with transaction.atomic():
        notification = _received_as(
            notification,
            NotificationStatus.DUPLICATE,
            f"replay of notification {original.pk}",
            notification_type=kind,
            purchase_id=order.purchase_id,
            status_id=order.status_id,
            subscription_id=order.items[0].subscription_id if order.items else None,
            duplicate_of=original,
        )
        InboundNotification.objects.filter(pk=original.pk).update(
            replay_count=F("replay_count") + 1, last_replay_at=now
        )
    logger.info("notification %s is a replay of %s (purchase %s)", notification.pk, original.pk, order.purchase_id)
    return notification


# --- Processing -------------------------------------------------------------------------------


def _amount_fits(quote: Quote, amount: Decimal | None, currency: str) -> bool:
    """Committed: exactly what the vendor confirmed. Unknown outcome: charged, and never more than agreed."""
    if amount is None or amount <= 0:
        return False
    if currency and currency != quote.currency:
        return False
    if quote.confirmed_charge_now_gross is not None:
        return amount == quote.confirmed_charge_now_gross
    ceiling = quote.sent_charge_now_gross if quote.sent_charge_now_gross is not None else quote.charge_now_gross
    return amount <= ceiling


def _candidates(order: PaidOrder, item: PaidItem, received_at: datetime) -> list[Quote]:
    quotes = Quote.objects.filter(
        subscription_id=item.subscription_id,
        state__in=[QuoteState.COMMITTED, QuoteState.OUTCOME_UNKNOWN],
        purchase_id__isnull=True,
        commit_sent_at__isnull=False,
        commit_sent_at__lte=received_at,
    ).order_by("commit_sent_at", "id")
    found = []
    for quote in quotes.select_related("customer"):
        if quote.kind == ChangeKind.ADDON:
            if quote.result_running_no not in (None, item.running_no):
                continue
        elif quote.running_no != item.running_no:
            continue
        if _amount_fits(quote, order.amount_for(item), order.currency):
            found.append(quote)
    if item.quantity is not None:
        # Equal amounts on one item arriving out of order: try first the change the item's quantity points to
        # (the resulting total, else the seats added), so that each purchase pays its own change.
        found.sort(
            key=lambda quote: (
                0 if quote.quantity_after == item.quantity else 1 if quote.seats_added == item.quantity else 2
            )
        )
    return found


def _confirm(quote: Quote, item: PaidItem, subscription: Subscription) -> bool:
    """Does the vendor's subscription show this change on the notification's item?"""
    if subscription.customer_id != quote.customer.vendor_id:
        return False
    applied, running_no = change_applied(quote, subscription)
    if applied == Applied.YES:
        return running_no == item.running_no
    if quote.state == QuoteState.COMMITTED and quote.kind != ChangeKind.ADDON:
        # The vendor's own answer confirmed this commit; a later change to the same item may have moved it on.
        current = subscription.item(quote.running_no)
        return (
            quote.running_no == item.running_no
            and current is not None
            and current.is_active
            and current.quantity >= quote.quantity_after
        )
    return False


def notification_process(*, notification_id: int, now: datetime | None = None) -> str:
    """Match one stored notification to its change, confirm with the vendor and record the payment.

    Returns the notification's status afterwards. Safe to run twice, even at once: only pending (or failed)
    rows are worked, and every status is written on the locked row after checking it is still one of those.
    """
    now = now or timezone.now()
    notification = InboundNotification.objects.filter(pk=notification_id).first()
    if notification is None or notification.status not in PROCESSABLE:
        return notification.status if notification else "missing"
    try:
        order = parse_paid_order(_load(notification.body))
    except Malformed as exc:  # it parsed on receipt; only a changed parser could get here
        return _settle(notification, NotificationStatus.MALFORMED, str(exc))

    waiting = False
    matches: list[tuple[Quote, PaidItem]] = []
    for item in order.items:
        candidates = _candidates(order, item, notification.received_at)
        matches += [(quote, item) for quote in candidates]
        if (
            not candidates
            and Quote.objects.filter(subscription_id=item.subscription_id, state=QuoteState.COMMITTING).exists()
        ):
            waiting = True
    if not matches:
        if waiting:
            return _retry_later(notification, "a change to this subscription is still being sent", now)
        status = _settle(
            notification,
            NotificationStatus.UNMATCHED,
            "no committed or unconfirmed change matches this purchase (subscription, item, amount, time)",
            fields={"processed_at": now},
        )
        if status == NotificationStatus.UNMATCHED:
            logger.warning("notification %s (purchase %s) matches no change", notification.pk, order.purchase_id)
        return status

    subscriptions: dict[int, Subscription | None] = {}
    problems = []
    for quote, item in matches:
        if item.subscription_id not in subscriptions:
            try:
                with get_client() as client:
                    subscriptions[item.subscription_id] = client.get_subscription(item.subscription_id)
            except Rejected as exc:
                subscriptions[item.subscription_id] = None
                problems.append(f"S{item.subscription_id}: the vendor refused the read ({exc.message})")
            except CleverbridgeError as exc:
                return _retry_later(notification, f"could not confirm with the vendor: {exc}", now)
        subscription = subscriptions[item.subscription_id]
        if subscription is None or not _confirm(quote, item, subscription):
            problems.append(f"quote {quote.public_id}: the vendor does not show the change on item {item.running_no}")
            continue
        status = _record_paid(notification, order, item, quote.pk, now)
        if status is not None:
            return status
    return _retry_later(notification, "; ".join(problems) or "not confirmed", now)


def _settle(notification: InboundNotification, status: str, note: str, *, fields: states.Fields | None = None) -> str:
    """Move a notification being worked; its status afterwards, also when another worker settled it first."""
    moved = states.notification_move(notification=notification, to=status, note=note, expect=PROCESSABLE, fields=fields)
    if moved is None:
        return InboundNotification.objects.values_list("status", flat=True).get(pk=notification.pk)
    return moved.status


def _unpaid(quote: Quote) -> bool:
    return quote.purchase_id is None


def _record_paid(
    notification: InboundNotification, order: PaidOrder, item: PaidItem, quote_pk: int, now: datetime
) -> str | None:
    """Lock, check, write: the change becomes paid with its ledger entries, the notification processed.

    Returns the notification's status once it is settled (here or by another worker), None when this change
    cannot take the payment (it moved on meanwhile).
    """
    with transaction.atomic():
        locked = InboundNotification.objects.select_for_update().get(pk=notification.pk)
        if locked.status not in PROCESSABLE:
            return locked.status
        facts = notification_data(locked, order, item)
        states.quote_move(
            quote=quote_pk,
            to=QuoteState.COMMITTED,
            expect=[QuoteState.OUTCOME_UNKNOWN],
            check=_unpaid,
            action="change.confirmed_applied",
            data={"reason": "paid_notification", "notification": facts},
            fields={"vendor_message": ""},
            now=now,
        )
        quote = states.quote_move(
            quote=quote_pk,
            to=QuoteState.PAID,
            expect=[QuoteState.COMMITTED],
            check=_unpaid,
            action="change.paid",
            data={"notification": facts},
            fields={
                "paid_at": now,
                "purchase_id": order.purchase_id,
                "interval_number": item.interval_number,
                "paid_next_billing_date": item.next_billing_date,
                "result_running_no": item.running_no,
                "next_reconcile_at": None,
            },
            now=now,
        )
        if quote is None:
            return None
        states.notification_move(
            notification=locked,
            to=NotificationStatus.PROCESSED,
            note=f"change {quote.public_id} paid",
            expect=PROCESSABLE,
            fields=lambda row: {"quote": quote, "processed_at": now, "attempts": row.attempts + 1},
        )
    logger.info("change %s paid by purchase %s", quote.public_id, order.purchase_id)
    return NotificationStatus.PROCESSED


def notification_data(notification: InboundNotification, order: PaidOrder, item: PaidItem) -> dict[str, Any]:
    """What the ledger keeps of a payment notification."""
    return {
        "notification_id": notification.pk,
        "received_at": notification.received_at.isoformat(),
        "purchase_id": order.purchase_id,
        "status_id": order.status_id,
        "revenue_category": order.revenue_category,
        "currency": order.currency,
        "gross": order.amount_for(item),
        "total_gross": order.gross,
        "total_net": order.net,
        "total_vat": order.vat,
        "subscription_id": item.subscription_id,
        "running_no": item.running_no,
        "interval_number": item.interval_number,
        "next_billing_date": item.next_billing_date.isoformat() if item.next_billing_date else None,
        "vendor_date": order.date.isoformat() if order.date else None,
    }


def _retry_later(
    notification: InboundNotification, reason: str, now: datetime, *, status: str = NotificationStatus.PENDING
) -> str:
    """Try again with a growing pause (`status` error when the processing itself failed); past the give-up
    time it is kept for support."""
    give_up_at = notification.received_at + timedelta(hours=settings.NOTIFICATION_PENDING_GIVE_UP_HOURS)
    if now >= give_up_at:
        settled = _settle(
            notification,
            NotificationStatus.UNMATCHED,
            f"gave up: {reason}",
            fields=lambda row: {"attempts": row.attempts + 1, "processed_at": now},
        )
        if settled == NotificationStatus.UNMATCHED:
            logger.warning("notification %s kept for support: %s", notification.pk, reason)
        return settled

    def next_try(row: InboundNotification) -> dict[str, Any]:
        attempts = row.attempts + 1
        pause = min(settings.NOTIFICATION_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
        return {"attempts": attempts, "next_attempt_at": now + timedelta(seconds=pause)}

    moved = states.notification_move(
        notification=notification, to=status, note=reason, expect=PROCESSABLE, fields=next_try
    )
    if moved is None:
        return InboundNotification.objects.values_list("status", flat=True).get(pk=notification.pk)
    notification_enqueue(moved.pk, run_after=moved.next_attempt_at)
    return moved.status


def notification_reprocess(*, notification_id: int, asked_by: str) -> bool:
    """Support asks for another try of a notification that failed or matched nothing; False when it is neither."""
    moved = states.notification_move(
        notification=notification_id,
        to=NotificationStatus.PENDING,
        note=f"re-processing asked by {asked_by}",
        expect=REPROCESSABLE,
    )
    if moved is not None:
        notification_enqueue(moved.pk)
    return moved is not None


def notifications_kick(*, subscription_id: int) -> int:
    """A change to this subscription just left `committing`: work its waiting notifications now."""
    waiting = list(
        InboundNotification.objects.filter(subscription_id=subscription_id, status__in=PROCESSABLE).values_list(
            "pk", flat=True
        )
    )
    for pk in waiting:
        notification_enqueue(pk)
    return len(waiting)


def notifications_due(*, now: datetime | None = None) -> list[int]:
    """Pending or failed notifications whose next try is due (for the worker's sweep)."""
    now = now or timezone.now()
    return list(
        InboundNotification.objects.filter(status__in=PROCESSABLE)
        .exclude(next_attempt_at__gt=now)
        .order_by("received_at")
        .values_list("pk", flat=True)
    )


# --- Background work --------------------------------------------------------------------------


@task()
def process_notification(notification_id: int) -> str:
    """Match a stored payment notification to its change, confirm with the vendor, record the payment.

    A failure that may pass (the database busy or gone, the vendor unreachable) plans another try, so a
    notification is never left pending without one.
    """
    try:
        return notification_process(notification_id=notification_id)
    except tasks.TRANSIENT as exc:
        logger.warning("processing notification %s failed for now; retrying", notification_id, exc_info=True)
        notification = InboundNotification.objects.filter(pk=notification_id).first()
        if notification is None:
            return "missing"
        return _retry_later(notification, f"processing failed: {exc}", timezone.now(), status=NotificationStatus.ERROR)


def notification_enqueue(notification_id: int, *, run_after: datetime | None = None) -> None:
    tasks.enqueue(process_notification, notification_id, run_after=run_after)
