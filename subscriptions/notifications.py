"""The vendor's payment notifications: receive, de-duplicate, match to a change, confirm, record.

Receiving reads the message in memory and stores it, already marked, de-duplicated and queued, in
one transaction; when that fails the raw body is kept alone, so nothing the vendor sent is ever lost,
whatever it looks like. Processing runs in the background (a task):
the payload is a hint, never trusted on its word. A `PaidOrderNotification` is matched to the change
it pays for (subscription, running number, amount, time) and confirmed with a `getsubscription` read
before the change is marked paid, with its ledger entry in the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_tasks import task

from subscriptions import reads, states, tasks
from subscriptions.applied import (
    Applied,
    change_applied,
    charged_after_error_flag,
    commit_error,
    subscription_facts,
)
from subscriptions.cleverbridge import (
    EVENT_TYPES,
    CleverbridgeError,
    Rejected,
    Subscription,
    SubscriptionEvent,
    parse_subscription_event,
)
from subscriptions.cleverbridge.parsing import text
from subscriptions.cleverbridge.payloads import (
    CHARGEBACK,
    RECURRING_BILLING_CANCELED,
    RECURRING_BILLING_REINSTATED,
    REFUND,
    RENEWAL_TYPE_CHANGED,
    Malformed,
    PaidItem,
    PaidOrder,
    parse_paid_order,
)
from subscriptions.cleverbridge.payloads import load as _load
from subscriptions.cleverbridge.payloads import type_of as _type_of
from subscriptions.models import (
    EVENTS_WITHOUT_PURCHASE,
    RENEWAL_KINDS,
    ChangeKind,
    InboundNotification,
    NotificationStatus,
    Quote,
    QuoteState,
)

logger = logging.getLogger(__name__)

__all__ = [
    "PAID_ORDER",
    "Malformed",
    "NotStored",
    "PaidItem",
    "PaidOrder",
    "Reading",
    "Receipt",
    "notification_enqueue",
    "notification_process",
    "notification_rate_check",
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
RATE_WINDOW_SECONDS = 60
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


@dataclass(frozen=True)
class Reading:
    """What reading a delivery in memory found: the status to store it with, why, its fields, the answer."""

    answer: int
    status: str
    note: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


class NotStored(Exception):
    """Not even the raw body could be stored (the database is away): the vendor must be answered 500 and retry."""


def notification_rate_check(*, remote_addr: str | None, now: datetime | None = None) -> int:
    """Count a delivery against its address's allowance for this minute; the seconds to wait when past it, else 0.

    Kept in the shared cache (Redis in production), so every web process draws on one count. A cache that
    fails lets the delivery in: the limit guards against floods, never against the vendor.
    """
    now = now or timezone.now()
    second = int(now.timestamp())
    key = f"notifications:rate:{remote_addr or '-'}:{second // RATE_WINDOW_SECONDS}"
    try:
        count = _counted(key)
    except Exception:
        logger.warning("the notification rate limit could not be checked; letting the delivery in", exc_info=True)
        return 0
    if count <= settings.NOTIFICATION_RATE_PER_MINUTE:
        return 0
    return RATE_WINDOW_SECONDS - second % RATE_WINDOW_SECONDS


def _counted(key: str) -> int:
    """One more in this window's count (two cache calls); the window's first delivery starts it."""
    try:
        return cache.incr(key)
    except ValueError:
        if cache.add(key, 1, timeout=2 * RATE_WINDOW_SECONDS):
            return 1
        return cache.incr(key)


def _read(body: str, *, too_large: bool) -> Reading:
    """Parse in memory; every problem becomes the row's status, nothing raises."""
    if too_large:
        return Reading(413, NotificationStatus.MALFORMED, f"body larger than {settings.NOTIFICATION_MAX_BYTES} bytes")
    try:
        data = _load(body)
        kind = _type_of(data)
    except Malformed as exc:
        return Reading(400, NotificationStatus.MALFORMED, str(exc))
    if kind in EVENT_TYPES:
        return _read_event(data, kind)
    if kind != PAID_ORDER:
        return Reading(200, NotificationStatus.IGNORED, f"type {kind!r} is not handled", {"notification_type": kind})
    try:
        order = parse_paid_order(data)
    except Malformed as exc:
        return Reading(400, NotificationStatus.MALFORMED, str(exc), {"notification_type": kind})

    fields = {
        "notification_type": kind,
        "purchase_id": order.purchase_id,
        "status_id": order.status_id,
        "subscription_id": order.items[0].subscription_id if order.items else None,
    }
    if order.is_test and not settings.CLEVERBRIDGE_ACCEPT_TEST_PURCHASES:
        note = "a test purchase (statusId TST), not accepted here"
        return Reading(200, NotificationStatus.IGNORED, note, fields)
    if not order.items:
        return Reading(200, NotificationStatus.IGNORED, "no subscription item in this purchase", fields)
    return Reading(200, NotificationStatus.PENDING, "", fields)


def _read_event(data: dict[str, Any], kind: str) -> Reading:
    """A subscription event (renewal type, cancelled, reinstated, refund, chargeback): queued as a hint."""
    try:
        event = parse_subscription_event(data)
    except Malformed as exc:
        return Reading(400, NotificationStatus.MALFORMED, str(exc), {"notification_type": kind})
    # A renewal-type change, an end or a reinstatement may name the subscription's original purchase, the same for
    # every such event: it tells no two events apart, so these are told apart by their bodies instead.
    fields = {
        "notification_type": kind,
        "purchase_id": None if kind in EVENTS_WITHOUT_PURCHASE else event.purchase_id,
        "subscription_id": event.subscription_id,
    }
    return Reading(200, NotificationStatus.PENDING, "", fields)


def notification_receive(
    *, body: bytes, headers: dict[str, str], remote_addr: str | None, too_large: bool = False
) -> Receipt:
    """Store the delivery, de-duplicated and queued, in one transaction; returns the HTTP status to answer.

    Bad input never raises. When the row cannot be stored in full the raw body is kept alone (`received`);
    NotStored when not even that can be written, so that the vendor retries.
    """
    delivery = {
        "headers": headers,
        "remote_addr": remote_addr or None,
        "body": text(body.decode("utf-8", errors="replace")),
        "body_bytes": len(body),
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }
    try:
        reading = _read(delivery["body"], too_large=too_large)
        with transaction.atomic():
            notification = _store(delivery, reading)
            if notification.status == NotificationStatus.PENDING:
                _enqueue_within(notification)
        answer = reading.answer
    except Exception:
        notification, answer = _store_raw(delivery), 200
        logger.exception("notification %s could not be stored in full; kept raw for support", notification.pk)
    return _after_commit(Receipt(answer, notification))


def _store(delivery: dict[str, Any], reading: Reading) -> InboundNotification:
    """One INSERT in the receiving status; a replay fails on the constraint (a savepoint) and is stored as such."""
    fields = {**delivery, **reading.fields}
    by_body = fields.get("purchase_id") is None and fields.get("notification_type") in EVENTS_WITHOUT_PURCHASE
    if fields.get("purchase_id") is None and not by_body:
        return states.notification_create(status=reading.status, note=reading.note, fields=fields)
    try:
        with transaction.atomic():
            return states.notification_create(status=reading.status, note=reading.note, fields=fields)
    except IntegrityError:
        same = (
            {"purchase_id": fields["purchase_id"]}
            if not by_body
            else {"purchase_id": None, "body_sha256": fields["body_sha256"]}
        )
        original = (
            InboundNotification.objects.select_for_update()
            .filter(**same, notification_type=fields["notification_type"], duplicate_of=None)
            .exclude(status__in=[NotificationStatus.IGNORED, NotificationStatus.MALFORMED])
            .first()
        )
        if original is None:
            raise
        return _replay(original, fields)


def _replay(original: InboundNotification, fields: dict[str, Any]) -> InboundNotification:
    """A replay: kept, linked to the original (locked) and counted there; nothing else changes.

    The vendor may replay a purchase for days, so past NOTIFICATION_REPLAYS_KEPT_IN_FULL replays only what
    support needs is kept: headers, the time, the link, and the body's hash and size.
    """
    now = timezone.now()
    replays = original.replay_count + 1
    note = f"replay {replays} of notification {original.pk}"
    if replays > settings.NOTIFICATION_REPLAYS_KEPT_IN_FULL:
        fields = {**fields, "body": ""}
        note += f"; body not kept again after {settings.NOTIFICATION_REPLAYS_KEPT_IN_FULL} replays (hash and size are)"
    replay = states.notification_create(
        status=NotificationStatus.DUPLICATE,
        note=note,
        fields={**fields, "duplicate_of": original, "received_at": now},
    )
    InboundNotification.objects.filter(pk=original.pk).update(replay_count=replays, last_replay_at=now)
    logger.info("notification %s is a replay of %s (purchase %s)", replay.pk, original.pk, original.purchase_id)
    return replay


def _enqueue_within(notification: InboundNotification) -> None:
    """Queue processing inside the receiving transaction: the worker sees the task only once the delivery is
    committed. A task row that fails is undone alone (a savepoint); the worker's sweep finds the delivery."""
    with transaction.atomic():
        notification_enqueue(notification.pk)


def _store_raw(delivery: dict[str, Any]) -> InboundNotification:
    try:
        with transaction.atomic():
            return states.notification_create(
                status=NotificationStatus.RECEIVED,
                note="could not be stored in full; kept raw for support",
                fields=delivery,
            )
    except Exception as exc:
        raise NotStored("the delivery could not be stored") from exc


def _forget_cached(order: PaidOrder) -> None:
    """The vendor says these subscriptions changed: pages read them again, and every cached list holding them."""
    for subscription_id in sorted({item.subscription_id for item in order.items}):
        reads.invalidate(subscription_id)


def _after_commit(receipt: Receipt) -> Receipt:
    """The delivery is stored: pages read its subscription again (processing does so for every item it names)."""
    stored = receipt.notification
    logger.info("notification %s stored: %s (HTTP %s)", stored.pk, stored.status, receipt.status)
    if stored.subscription_id is not None:
        reads.invalidate(stored.subscription_id)
    return receipt


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


def _quantity_fits(quote: Quote, item: PaidItem) -> bool:
    """The purchase's item quantity (when sent) is the change's resulting total or, for seats, the seats added."""
    if item.quantity is None:
        return True
    if quote.kind == ChangeKind.ADDON:
        return item.quantity == quote.quantity_after
    return item.quantity in (quote.quantity_after, quote.seats_added)


def _fits(quote: Quote, order: PaidOrder, item: PaidItem, received_at: datetime) -> bool:
    """Could this purchase's item pay this change? Item, amount, currency, quantity and time all agree."""
    if quote.subscription_id != item.subscription_id or quote.commit_sent_at is None:
        return False
    if quote.commit_sent_at > received_at:
        return False
    if quote.kind == ChangeKind.ADDON:
        if quote.result_running_no not in (None, item.running_no):
            return False
    elif quote.running_no != item.running_no:
        return False
    return _amount_fits(quote, order.amount_for(item), order.currency) and _quantity_fits(quote, item)


def _candidates(order: PaidOrder, item: PaidItem, received_at: datetime) -> list[Quote]:
    quotes = Quote.objects.filter(
        subscription_id=item.subscription_id,
        state__in=[QuoteState.COMMITTED, QuoteState.OUTCOME_UNKNOWN],
        purchase_id__isnull=True,
        commit_sent_at__isnull=False,
        commit_sent_at__lte=received_at,
    ).order_by("commit_sent_at", "id")
    return [quote for quote in quotes.select_related("customer") if _fits(quote, order, item, received_at)]


def _others(notification: InboundNotification, subscription_id: int, since: datetime | None) -> list[tuple]:
    """The other payment notifications for this subscription (not replays), parsed: (row, order)."""
    rows = InboundNotification.objects.filter(
        subscription_id=subscription_id, notification_type=PAID_ORDER, duplicate_of__isnull=True
    ).exclude(pk=notification.pk)
    if since is not None:
        rows = rows.filter(received_at__gte=since)
    found = []
    for row in rows.order_by("received_at", "id"):
        try:
            found.append((row, parse_paid_order(_load(row.body))))
        except Malformed:
            continue
    return found


def _known_totals(quote: Quote, notification: InboundNotification) -> set[int]:
    """Item totals that changes after this one are known to have produced: our later commits to the item, and
    the quantities other purchases on the item reported. A read showing one of them is explained; any other
    quantity (someone changed the item in a way we know nothing of) is not."""
    later = Quote.objects.filter(
        subscription_id=quote.subscription_id,
        target=quote.target,
        commit_sent_at__gt=quote.commit_sent_at,
        state__in=[QuoteState.COMMITTED, QuoteState.PAID, QuoteState.OUTCOME_UNKNOWN],
    ).values_list("quantity_after", flat=True)
    totals = set(later)
    for _row, order in _others(notification, quote.subscription_id, quote.commit_sent_at):
        totals |= {
            item.quantity for item in order.items if item.running_no == quote.running_no and item.quantity is not None
        }
    return {total for total in totals if total > quote.quantity_after}


def _confirm(quote: Quote, item: PaidItem, subscription: Subscription, notification: InboundNotification) -> bool:
    """Does the vendor's subscription show this change on the notification's item, as far as we can tell?

    Seats: the item holds the agreed product and exactly the agreed total, or a total that a later change we know
    of produced. "At least the agreed total" is not enough: a change made elsewhere would pass for ours.
    """
    if subscription.customer_id != quote.customer.vendor_id:
        return False
    if quote.kind == ChangeKind.ADDON:
        applied, running_no = change_applied(quote, subscription)
        return applied == Applied.YES and running_no == item.running_no
    current = subscription.item(quote.running_no)
    if quote.running_no != item.running_no or current is None or not current.is_active:
        return False
    if current.product_id != quote.new_product_id:
        return False
    return current.quantity == quote.quantity_after or current.quantity in _known_totals(quote, notification)


def _rivals(notification: InboundNotification, quote: Quote) -> list[int]:
    """Purchase ids of other payments not yet settled that could pay this same change."""
    unsettled = (NotificationStatus.PENDING, NotificationStatus.ERROR, NotificationStatus.UNMATCHED)
    return [
        order.purchase_id
        for row, order in _others(notification, quote.subscription_id, quote.commit_sent_at)
        if row.status in unsettled and any(_fits(quote, order, item, row.received_at) for item in order.items)
    ]


def notification_process(*, notification_id: int, now: datetime | None = None) -> str:
    """Match one stored notification to its change, confirm with the vendor and record the payment.

    Returns the notification's status afterwards. Safe to run twice, even at once: only pending (or failed)
    rows are worked, and every status is written on the locked row after checking it is still one of those.
    A payment that two changes could explain, or a change that two payments could, pays nothing: both sides
    are flagged for support (`_ambiguous`).
    """
    now = now or timezone.now()
    notification = InboundNotification.objects.filter(pk=notification_id).first()
    if notification is None or notification.status not in PROCESSABLE:
        return notification.status if notification else "missing"
    if notification.notification_type in EVENT_TYPES:
        return _process_event(notification, now)
    try:
        order = parse_paid_order(_load(notification.body))
    except Malformed as exc:  # it parsed on receipt; only a changed parser could get here
        return _settle(notification, NotificationStatus.MALFORMED, str(exc))
    _forget_cached(order)

    waiting = False
    matches: list[tuple[PaidItem, list[Quote]]] = []
    for item in order.items:
        candidates = _candidates(order, item, notification.received_at)
        if candidates:
            matches.append((item, candidates))
        elif Quote.objects.filter(subscription_id=item.subscription_id, state=QuoteState.COMMITTING).exists():
            waiting = True
    if not matches:
        if waiting:
            return _retry_later(notification, "a change to this subscription is still being sent", now)
        status = _settle(
            notification,
            NotificationStatus.UNMATCHED,
            "no committed or unconfirmed change matches this purchase (subscription, item, amount, quantity, time)",
            fields={"processed_at": now},
        )
        if status == NotificationStatus.UNMATCHED:
            logger.warning("notification %s (purchase %s) matches no change", notification.pk, order.purchase_id)
        return status

    subscriptions: dict[int, Subscription | None] = {}
    problems = []
    for item, candidates in matches:
        if item.subscription_id not in subscriptions:
            try:
                subscriptions[item.subscription_id] = reads.subscription_fresh(subscription_id=item.subscription_id)
            except Rejected as exc:
                subscriptions[item.subscription_id] = None
                problems.append(f"S{item.subscription_id}: the vendor refused the read ({exc.message})")
            except CleverbridgeError as exc:
                return _retry_later(notification, f"could not confirm with the vendor: {exc}", now)
        subscription = subscriptions[item.subscription_id]
        confirmed = [
            quote
            for quote in candidates
            if subscription is not None and _confirm(quote, item, subscription, notification)
        ]
        if not confirmed:
            problems += [
                f"quote {quote.public_id}: the vendor does not show the change on item {item.running_no}"
                for quote in candidates
            ]
            continue
        if len(confirmed) > 1:
            return _ambiguous(notification, order, item, quotes=confirmed, purchases=[order.purchase_id], now=now)
        rivals = _rivals(notification, confirmed[0])
        if rivals:
            purchases = [order.purchase_id, *rivals]
            return _ambiguous(notification, order, item, quotes=confirmed, purchases=purchases, now=now)
        status = _record_paid(notification, order, item, confirmed[0].pk, now)
        if status is not None:
            return status
    return _retry_later(notification, "; ".join(problems) or "not confirmed", now)


def _ambiguous(
    notification: InboundNotification,
    order: PaidOrder,
    item: PaidItem,
    *,
    quotes: list[Quote],
    purchases: list[int],
    now: datetime,
) -> str:
    """More than one change could take this payment, or more than one payment this change: pay nothing, flag
    the changes and keep the notification for support, naming every candidate."""
    changes = [str(quote.public_id) for quote in quotes]
    note = (
        f"ambiguous, kept for support: purchase(s) {', '.join(map(str, purchases))} "
        f"could pay change(s) {', '.join(changes)}; nothing was marked paid"
    )
    with transaction.atomic():
        locked = InboundNotification.objects.select_for_update().get(pk=notification.pk)
        if locked.status not in PROCESSABLE:
            return locked.status
        facts = notification_data(locked, order, item)
        for quote in quotes:
            states.quote_mark(
                quote=quote.pk,
                expect=[QuoteState.COMMITTED, QuoteState.OUTCOME_UNKNOWN],
                check=_unpaid,
                action="change.payment_ambiguous",
                fields=states.support_flag,
                data={"purchases": purchases, "changes": changes, "notification": facts},
            )
        status = _settle(locked, NotificationStatus.UNMATCHED, note, fields={"processed_at": now})
    logger.warning("notification %s: %s", notification.pk, note)
    return status


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
        unknown = Quote.objects.get(pk=quote_pk)
        error = commit_error(unknown) if unknown.state == QuoteState.OUTCOME_UNKNOWN else None
        resolved = states.quote_move(
            quote=quote_pk,
            to=QuoteState.COMMITTED,
            expect=[QuoteState.OUTCOME_UNKNOWN],
            check=_unpaid,
            action="change.confirmed_applied",
            data={"reason": "paid_notification", "notification": facts},
            fields={"vendor_message": unknown.vendor_message if error else ""},
            now=now,
        )
        if resolved is not None and error is not None:
            # The vendor answered the commit with an error, yet this purchase pays it: charged after an error.
            charged_after_error_flag(quote=resolved, error=error, facts={"notification": facts})
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


# --- Subscription events ------------------------------------------------------------------------

CONFIRMING_KINDS = {
    RENEWAL_TYPE_CHANGED: RENEWAL_KINDS,
    RECURRING_BILLING_CANCELED: (ChangeKind.CANCEL,),
    RECURRING_BILLING_REINSTATED: (ChangeKind.REACTIVATE,),
}
"""Which of our changes each event can confirm."""

MONEY_BACK_ACTIONS = {REFUND: "change.refunded", CHARGEBACK: "change.charged_back"}


def event_data(notification: InboundNotification, event: SubscriptionEvent) -> dict[str, Any]:
    """What the ledger keeps of a subscription event."""
    return {
        "notification_id": notification.pk,
        "type": event.type,
        "received_at": notification.received_at.isoformat(),
        "subscription_id": event.subscription_id,
        "purchase_id": event.purchase_id,
        "running_no": event.running_no,
        "running_nos": list(event.running_nos),
        "renewal_type": event.renewal_type,
        "gross": str(event.amount) if event.amount is not None else None,
        "currency": event.currency,
        "vendor_date": event.date.isoformat() if event.date else None,
    }


def _process_event(notification: InboundNotification, now: datetime) -> str:
    """A subscription event is a hint: the subscription's cached reads are dropped and it is read again; then
    the change of ours it reports is confirmed (or its money going back flagged), or it is recorded as not ours."""
    try:
        event = parse_subscription_event(_load(notification.body))
    except Malformed as exc:  # it parsed on receipt; only a changed parser could get here
        return _settle(notification, NotificationStatus.MALFORMED, str(exc))
    reads.invalidate(event.subscription_id)
    try:
        subscription = reads.subscription_fresh(subscription_id=event.subscription_id)
    except Rejected as exc:
        subscription = None
        read_problem = f"the vendor refused the read ({exc.message})"
    except CleverbridgeError as exc:
        return _retry_later(notification, f"could not read S{event.subscription_id}: {exc}", now)
    else:
        read_problem = None
    if event.type in MONEY_BACK_ACTIONS:
        return _money_back(notification, event, now)
    quote = _event_quote(notification, event)
    if quote is None:
        if Quote.objects.filter(subscription_id=event.subscription_id, state=QuoteState.COMMITTING).exists():
            return _retry_later(notification, "a change to this subscription is still being sent", now)
        return _settle(
            notification,
            NotificationStatus.PROCESSED,
            f"no change of ours: {event.type} for S{event.subscription_id} (changed elsewhere, e.g. by the "
            "vendor's support); its reads were refreshed",
            fields={"processed_at": now},
        )
    applied, running_no = change_applied(quote, subscription) if subscription is not None else (Applied.UNCLEAR, None)
    facts = {
        "notification": event_data(notification, event),
        "subscription": subscription_facts(subscription, applied, running_no),
        "read_error": read_problem,
    }
    if quote.state == QuoteState.OUTCOME_UNKNOWN and applied != Applied.YES:
        return _retry_later(notification, f"change {quote.public_id} is not shown by the read yet", now)
    with transaction.atomic():
        locked = InboundNotification.objects.select_for_update().get(pk=notification.pk)
        if locked.status not in PROCESSABLE:
            return locked.status
        if quote.state == QuoteState.OUTCOME_UNKNOWN:
            error = commit_error(quote)
            resolved = states.quote_move(
                quote=quote.pk,
                to=QuoteState.COMMITTED,
                expect=[QuoteState.OUTCOME_UNKNOWN],
                action="change.confirmed_applied",
                data={"reason": "subscription_event", **facts},
                fields={"vendor_message": quote.vendor_message if error else "", "next_reconcile_at": None},
                now=now,
            )
            if resolved is not None and error is not None:
                charged_after_error_flag(quote=resolved, error=error, facts=facts)
        confirmed = states.quote_mark(
            quote=quote.pk,
            expect=[QuoteState.COMMITTED, QuoteState.PAID],
            action="change.confirmed_by_notification",
            fields={},
            data=facts,
        )
        if confirmed is None:
            return _retry_later(locked, f"change {quote.public_id} moved on meanwhile", now)
        states.notification_move(
            notification=locked,
            to=NotificationStatus.PROCESSED,
            note=f"confirms change {quote.public_id}",
            expect=PROCESSABLE,
            fields=lambda row: {"quote": confirmed, "processed_at": now, "attempts": row.attempts + 1},
        )
    logger.info("notification %s (%s) confirms change %s", notification.pk, event.type, quote.public_id)
    return NotificationStatus.PROCESSED


def _event_quote(notification: InboundNotification, event: SubscriptionEvent) -> Quote | None:
    """The newest change of ours, sent before the event arrived, that the event reports and that no event of this
    type confirmed yet."""
    kinds = CONFIRMING_KINDS[event.type]
    quotes = Quote.objects.filter(
        subscription_id=event.subscription_id,
        kind__in=kinds,
        state__in=[QuoteState.COMMITTED, QuoteState.OUTCOME_UNKNOWN],
        commit_sent_at__isnull=False,
        commit_sent_at__lte=notification.received_at,
    ).exclude(
        Exists(
            InboundNotification.objects.filter(
                quote=OuterRef("pk"), notification_type=event.type, status=NotificationStatus.PROCESSED
            )
        )
    )
    if event.type == RENEWAL_TYPE_CHANGED:
        quotes = quotes.filter(renewal_type_after__iexact=event.renewal_type)
    if event.type == RECURRING_BILLING_REINSTATED:
        quotes = quotes.filter(running_no__in=event.running_nos or ([event.running_no] if event.running_no else []))
    return quotes.order_by("-commit_sent_at", "-id").first()


def _money_back(notification: InboundNotification, event: SubscriptionEvent, now: datetime) -> str:
    """A refund or chargeback of a purchase that paid one of our changes: the change goes to support; one of a
    purchase we know nothing of is kept for support as well (unmatched)."""
    quote = Quote.objects.filter(purchase_id=event.purchase_id).first() if event.purchase_id else None
    if quote is None and _payment_unsettled(event.purchase_id):
        # The purchase's own payment notification is stored but not matched yet (deliveries come in any order).
        with transaction.atomic():
            locked = InboundNotification.objects.select_for_update().get(pk=notification.pk)
            if locked.status not in PROCESSABLE:
                return locked.status
            return _retry_later(locked, f"the payment of purchase {event.purchase_id} is not matched yet", now)
    if quote is None:
        return _settle(
            notification,
            NotificationStatus.UNMATCHED,
            f"{event.type}: purchase {event.purchase_id} paid no change of ours; kept for support",
            fields={"processed_at": now},
        )
    with transaction.atomic():
        locked = InboundNotification.objects.select_for_update().get(pk=notification.pk)
        if locked.status not in PROCESSABLE:
            return locked.status
        flagged = states.quote_mark(
            quote=quote.pk,
            expect=[QuoteState.PAID, QuoteState.COMMITTED],
            action=MONEY_BACK_ACTIONS[event.type],
            fields=states.support_flag,
            data={"notification": event_data(locked, event)},
        )
        if flagged is None:
            return _retry_later(locked, f"change {quote.public_id} is not paid or committed", now)
        states.notification_move(
            notification=locked,
            to=NotificationStatus.PROCESSED,
            note=f"{event.type} of purchase {event.purchase_id}: change {quote.public_id} passed to support",
            expect=PROCESSABLE,
            fields=lambda row: {"quote": flagged, "processed_at": now, "attempts": row.attempts + 1},
        )
    logger.warning("purchase %s of change %s: %s", event.purchase_id, quote.public_id, event.type)
    return NotificationStatus.PROCESSED


def _payment_unsettled(purchase_id: int | None) -> bool:
    """A paid-order notification of `purchase_id` is stored and still waiting to be matched to a change."""
    if purchase_id is None:
        return False
    return InboundNotification.objects.filter(
        purchase_id=purchase_id, notification_type=PAID_ORDER, duplicate_of__isnull=True, status__in=PROCESSABLE
    ).exists()


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
