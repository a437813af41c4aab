"""Resolving commits whose outcome is unknown, by reading the subscription. Never by sending again.

The vendor has no idempotency key, so a commit that timed out is never resent. Instead the
subscription is read on a backoff schedule: the change is there → committed; still not there after
the grace period (the vendor applies a commit while answering it) → failed, which frees the item so
the customer may start again with fresh consent; still unclear after RECONCILE_GIVE_UP_HOURS →
flagged for support with everything known. Every step is one ledger entry in the transaction that
makes it. Time comes in as `now`, so tests never sleep.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from subscriptions import ledger, notifications, states, tasks
from subscriptions.applied import Applied, change_applied
from subscriptions.cleverbridge import CleverbridgeError, Subscription, get_client
from subscriptions.models import InboundNotification, Quote, QuoteState

logger = logging.getLogger(__name__)

__all__ = [
    "ReconcileSummary",
    "reconcile_change",
    "reconcile_changes",
    "reconcile_due",
    "reconcile_quote",
    "reconcile_schedule",
]


@dataclass
class ReconcileSummary:
    checked: int = 0
    committed: int = 0
    failed: int = 0
    flagged: int = 0
    not_sent: int = 0
    waiting: int = 0
    notifications: int = 0
    errors: int = 0
    outcomes: dict[str, str] = field(default_factory=dict)

    def count(self, quote: Quote, outcome: str) -> None:
        self.checked += 1
        self.outcomes[str(quote.public_id)] = outcome
        if outcome in ("committed", "failed", "flagged", "not_sent"):
            setattr(self, outcome, getattr(self, outcome) + 1)
        elif outcome == "waiting":
            self.waiting += 1
        elif outcome == "error":
            self.errors += 1

    def __str__(self) -> str:
        return (
            f"checked {self.checked}: committed {self.committed}, failed {self.failed}, "
            f"flagged {self.flagged}, not sent {self.not_sent}, still unknown {self.waiting}; "
            f"notifications retried {self.notifications}; errors {self.errors}"
        )


def _backoff(attempt: int) -> timedelta:
    steps = settings.RECONCILE_BACKOFF_SECONDS or [60]
    return timedelta(seconds=steps[min(attempt, len(steps) - 1)])


def reconcile_schedule(quote: Quote, *, now: datetime | None = None) -> datetime:
    """Plan the next read of an outcome-unknown change (and enqueue it when the task backend can defer)."""
    now = now or timezone.now()
    next_at = now + _backoff(quote.reconcile_attempts)
    Quote.objects.filter(pk=quote.pk).update(next_reconcile_at=next_at)
    quote.next_reconcile_at = next_at
    tasks.enqueue(reconcile_change, quote.pk, run_after=next_at)
    return next_at


def _subscription_facts(subscription: Subscription | None, applied: Applied, running_no: int | None) -> dict[str, Any]:
    if subscription is None:
        return {"read": None, "applied": applied.value}
    return {
        "applied": applied.value,
        "running_no": running_no,
        "items": [
            {"running_no": i.running_no, "product_id": i.product_id, "quantity": i.quantity, "status": i.status}
            for i in subscription.current_items
        ],
        "next_billing_date": subscription.next_billing_date.isoformat() if subscription.next_billing_date else None,
        "status": subscription.status,
    }


def _stuck_committing(quote: Quote, now: datetime) -> str | None:
    """A process died while committing: without a sent commit nothing happened; with one, the outcome is unknown."""
    if quote.state_changed_at > now - timedelta(seconds=settings.RECONCILE_STUCK_COMMITTING_SECONDS):
        return "waiting"
    if quote.commit_sent_at is None:
        done = states.quote_move(
            quote=quote,
            to=QuoteState.NOT_SENT,
            expect=[QuoteState.COMMITTING],
            check=_unsent,
            action="change.not_sent",
            data={"reason": "stuck_before_sending", "message": "no commit was sent; nothing was charged"},
            fields={"vendor_message": "The change was not sent. Nothing was charged."},
            now=now,
        )
        return "not_sent" if done else "waiting"
    states.quote_move(
        quote=quote,
        to=QuoteState.OUTCOME_UNKNOWN,
        expect=[QuoteState.COMMITTING],
        action="change.outcome_unknown",
        data={"reason": "stuck_after_sending"},
        now=now,
    )
    return None


def _unsent(quote: Quote) -> bool:
    return quote.commit_sent_at is None


def reconcile_quote(*, quote_id: int, now: datetime | None = None) -> str:
    """One read-only check of one change; returns what became of it (committed, failed, flagged, waiting, ...)."""
    now = now or timezone.now()
    quote = Quote.objects.select_related("customer").filter(pk=quote_id).first()
    if quote is None:
        return "missing"
    if quote.state == QuoteState.COMMITTING:
        outcome = _stuck_committing(quote, now)
        if outcome is not None:
            return outcome
        quote.refresh_from_db()
    if quote.state != QuoteState.OUTCOME_UNKNOWN:
        return quote.state

    subscription = None
    error = None
    try:
        subscription = get_client().get_subscription(quote.subscription_id)
        if subscription.customer_id != quote.customer.vendor_id:
            applied, running_no = Applied.UNCLEAR, None
            error = "the subscription now belongs to another customer"
        else:
            applied, running_no = change_applied(quote, subscription)
    except CleverbridgeError as exc:
        applied, running_no = Applied.UNCLEAR, None
        error = str(exc)
    attempts = quote.reconcile_attempts + 1
    sent_at = quote.commit_sent_at or quote.state_changed_at
    facts = {
        "attempt": attempts,
        "checked_at": now.isoformat(),
        "subscription": _subscription_facts(subscription, applied, running_no),
        "error": error,
    }

    if applied == Applied.YES:
        done = states.quote_move(
            quote=quote,
            to=QuoteState.COMMITTED,
            expect=[QuoteState.OUTCOME_UNKNOWN],
            action="change.confirmed_applied",
            data={"reason": "subscription_read", **facts},
            fields={
                "vendor_message": "",
                "result_running_no": running_no,
                "reconcile_attempts": attempts,
                "next_reconcile_at": None,
            },
            now=now,
        )
        if done:
            notifications.notifications_kick(subscription_id=quote.subscription_id)
            logger.info("change %s confirmed applied by reading S%s", quote.public_id, quote.subscription_id)
        return "committed" if done else "waiting"

    if applied == Applied.NO and now - sent_at >= timedelta(seconds=settings.RECONCILE_GRACE_SECONDS):
        done = states.quote_move(
            quote=quote,
            to=QuoteState.FAILED,
            expect=[QuoteState.OUTCOME_UNKNOWN],
            action="change.failed",
            data={"reason": "not_applied_after_grace", "grace_seconds": settings.RECONCILE_GRACE_SECONDS, **facts},
            fields={
                "vendor_message": "The billing provider did not apply the change. Nothing was charged.",
                "reconcile_attempts": attempts,
                "next_reconcile_at": None,
            },
            now=now,
        )
        if done:
            logger.info("change %s not applied: failed; the item is free again", quote.public_id)
        return "failed" if done else "waiting"

    if now - sent_at >= timedelta(hours=settings.RECONCILE_GIVE_UP_HOURS):
        if quote.needs_support:
            return "flagged"
        done = states.quote_mark(
            quote=quote,
            expect=[QuoteState.OUTCOME_UNKNOWN],
            action="change.flagged_for_support",
            data={"reason": "unresolved", "give_up_hours": settings.RECONCILE_GIVE_UP_HOURS, **_known(quote), **facts},
            fields={
                "needs_support": True,
                "support_flagged_at": now,
                "reconcile_attempts": attempts,
                "next_reconcile_at": None,
            },
        )
        if done:
            logger.warning(
                "change %s still unknown after %s h: flagged for support",
                quote.public_id,
                settings.RECONCILE_GIVE_UP_HOURS,
            )
        return "flagged" if done else "waiting"

    Quote.objects.filter(pk=quote.pk, state=QuoteState.OUTCOME_UNKNOWN).update(reconcile_attempts=attempts)
    quote.reconcile_attempts = attempts
    reconcile_schedule(quote, now=now)
    return "waiting"


def _known(quote: Quote) -> dict[str, Any]:
    """Everything we know about an unresolved change, for support: the trail, notifications for the subscription."""
    return {
        "commit_sent_at": quote.commit_sent_at.isoformat() if quote.commit_sent_at else None,
        "sent_charge_now_gross": ledger.amount_text(quote.sent_charge_now_gross, quote.currency),
        "trail": list(quote.ledger_entries.order_by("created_at", "id").values_list("action", flat=True)),
        "notifications": [
            {"id": n.pk, "status": n.status, "purchase_id": n.purchase_id, "note": n.note}
            for n in InboundNotification.objects.filter(subscription_id=quote.subscription_id).order_by("received_at")
        ],
    }


def reconcile_due(*, now: datetime | None = None) -> ReconcileSummary:
    """Every change that is due for a check, plus due notifications: the worker's sweep and the command's.

    One row that fails is logged and counted under `errors`; the others are still worked.
    """
    now = now or timezone.now()
    summary = ReconcileSummary()
    stuck_before = now - timedelta(seconds=settings.RECONCILE_STUCK_COMMITTING_SECONDS)
    unknown = Quote.objects.filter(state=QuoteState.OUTCOME_UNKNOWN, needs_support=False).exclude(
        next_reconcile_at__gt=now
    )
    stuck = Quote.objects.filter(state=QuoteState.COMMITTING, state_changed_at__lte=stuck_before)
    for quote in [*unknown.order_by("commit_sent_at", "id"), *stuck.order_by("state_changed_at", "id")]:
        try:
            outcome = reconcile_quote(quote_id=quote.pk, now=now)
        except Exception:
            logger.exception("reconciling change %s failed; continuing with the others", quote.public_id)
            outcome = "error"
        summary.count(quote, outcome)
    for pk in notifications.notifications_due(now=now):
        try:
            notifications.notification_process(notification_id=pk, now=now)
        except Exception:
            logger.exception("processing notification %s failed; continuing with the others", pk)
            summary.errors += 1
            continue
        summary.notifications += 1
    return summary


# --- Background work --------------------------------------------------------------------------


@task()
def reconcile_change(quote_id: int) -> str:
    """One read-only check of an outcome-unknown change; it plans its own next check.

    A failure that may pass (the database busy or gone, the vendor unreachable) plans the next check too,
    so a change is never left without one.
    """
    try:
        return reconcile_quote(quote_id=quote_id)
    except tasks.TRANSIENT:
        logger.warning("reconciling change %s failed for now; retrying", quote_id, exc_info=True)
        return reconcile_retry(quote_id=quote_id)


def reconcile_retry(*, quote_id: int, now: datetime | None = None) -> str:
    """The check itself failed: count the attempt and plan the next one, while the outcome is still unknown."""
    Quote.objects.filter(pk=quote_id, state=QuoteState.OUTCOME_UNKNOWN).update(
        reconcile_attempts=F("reconcile_attempts") + 1
    )
    quote = Quote.objects.filter(pk=quote_id).first()
    if quote is None:
        return "missing"
    if quote.state != QuoteState.OUTCOME_UNKNOWN:
        return quote.state
    if quote.needs_support:
        return "flagged"
    reconcile_schedule(quote, now=now)
    return "waiting"


@task()
def reconcile_changes() -> str:
    """Every change and notification due for a check (the same as `manage.py reconcile_changes`)."""
    return str(reconcile_due())
