"""The vendor's notification sender: a PaidOrderNotification after each charged change, and subscription events.

The events: SubscriptionRenewalTypeChangedNotification (a renewal-type change),
RecurringBillingCanceledNotification (a manual subscription finished at its billing date),
RecurringBillingReinstatedNotification (items reinstated), RefundNotification and
ChargebackNotification (money back on a purchase, from the control API).

A delivery row is written in the same transaction as the purchase or the change (so no charge goes
unannounced and none is announced twice), then sent in the background by a task, like the vendor: not at once,
retried on failure (default every 2 hours for 48 hours), possibly duplicated, delayed or reordered
when the control says so. The sandbox is the vendor here, so it has its own small HTTP sender.

Each attempt is recorded before it is sent, with the time by which it must have ended; a task that dies
(on a locked database, say) leaves its delivery due again then, and the sweep (`notifications_sweep`,
run by `manage.py sandbox_notifications --deliver --every N` beside the worker) sends it. Nothing waits
for the vendor's two hours because of our own trouble: a connection failure or a 5xx is tried again
after a few seconds first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tasks import default_task_backend, task

from sandbox import pricing
from sandbox.clock import clock_now
from sandbox.models import (
    DeliveryState,
    NotificationControl,
    NotificationDelivery,
    Purchase,
    Subscription,
    SubscriptionItem,
)
from sandbox.vendor_json import dumps, vendor_time

logger = logging.getLogger(__name__)

SCHEMA_BASE = "https://www.cleverbridge.com/JsonNotificationSchemas/"
PAID_ORDER = "PaidOrderNotification"
SCHEMA_URL = SCHEMA_BASE + PAID_ORDER
RENEWAL_TYPE_CHANGED = "SubscriptionRenewalTypeChangedNotification"
RECURRING_BILLING_CANCELED = "RecurringBillingCanceledNotification"
RECURRING_BILLING_REINSTATED = "RecurringBillingReinstatedNotification"
REFUND_KINDS = {"refund": "RefundNotification", "chargeback": "ChargebackNotification"}
TEST_STATUS = "TST"
MAX_ERROR = 2000
# A connection failure or a 5xx is tried again after these pauses before the vendor's schedule takes over.
QUICK_RETRY_SECONDS = (5, 15, 60)
# An attempt not finished this long after its send's timeout has died; the sweep may try again.
ATTEMPT_MARGIN_SECONDS = 5


def real_now() -> datetime:
    return timezone.now()


def make_transport() -> httpx.BaseTransport | None:
    """The sender's transport (None: plain HTTP); tests replace it to deliver in-process."""
    return None


def control() -> NotificationControl:
    return NotificationControl.objects.filter(pk=1).first() or NotificationControl(pk=1)


def paid_order_payload(purchase: Purchase, item: SubscriptionItem) -> dict[str, Any]:
    """The PaidOrderNotification for an Alignment purchase, in the guides' shape (see docs/sandbox.md)."""
    subscription = purchase.subscription
    currency = purchase.currency

    def money(value: Decimal) -> Decimal:
        return pricing.round_money(value, currency)

    return {
        "meta": _meta(PAID_ORDER),
        "purchaseId": purchase.vendor_id,
        "statusId": TEST_STATUS,
        "purchaseDate": vendor_time(purchase.created_at),
        "subscriptionRevenueCategoryId": purchase.category,
        "currencyId": currency,
        "totalGrossPrice": money(purchase.gross),
        "totalNetPrice": money(purchase.net),
        "totalVatPrice": money(purchase.vat),
        "customer": {"customerId": subscription.customer_id, "email": subscription.customer.email},
        "items": [
            {
                "runningNumber": 1,
                "productId": item.product_id,
                "productName": item.product.name,
                "quantity": item.quantity,
                "totalGrossPrice": money(purchase.gross),
                "totalNetPrice": money(purchase.net),
                "totalVatPrice": money(purchase.vat),
                "recurringBilling": {
                    "subscriptionId": f"S{subscription.pk}",
                    "subscriptionItemRunningNo": item.running_no,
                    "intervalNumber": purchase.interval_no,
                    "nextBillingDate": vendor_time(subscription.next_billing_date),
                },
            }
        ],
    }


def _meta(kind: str) -> dict[str, str]:
    return {"type": kind, "date": vendor_time(clock_now()), "schemaUrl": SCHEMA_BASE + kind}


def _first_purchase_id(subscription: Subscription) -> int | None:
    """The purchase that started the subscription: the Purchase Model's `purchaseId` for its events."""
    first = subscription.purchases.order_by("created_at", "id").first()
    return first.vendor_id if first else None


def _subscription_event(
    kind: str, subscription: Subscription, *, running_nos: list[int] | None = None, **billing: Any
) -> dict[str, Any]:
    """A subscription event in the vendor's Purchase Model, cut to what the receiver reads: one entry per item
    (or per named item) with its `recurringBilling` (subscription, running number, next billing date and `billing`)."""
    versions = subscription.item_versions.filter(is_current=True).select_related("product").order_by("running_no")
    if running_nos is not None:
        versions = versions.filter(running_no__in=running_nos)
    return {
        "meta": _meta(kind),
        "purchaseId": _first_purchase_id(subscription),
        "customer": {"customerId": subscription.customer_id, "email": subscription.customer.email},
        "items": [
            {
                "runningNumber": index,
                "productId": version.product_id,
                "productName": version.product.name,
                "quantity": version.quantity,
                "recurringBilling": {
                    "subscriptionId": f"S{subscription.pk}",
                    "subscriptionItemRunningNo": version.running_no,
                    "nextBillingDate": vendor_time(subscription.next_billing_date),
                    **billing,
                },
            }
            for index, version in enumerate(versions, start=1)
        ],
    }


def renewal_type_changed_payload(subscription: Subscription) -> dict[str, Any]:
    return _subscription_event(RENEWAL_TYPE_CHANGED, subscription, renewalType=subscription.renewal_type)


def recurring_billing_canceled_payload(subscription: Subscription) -> dict[str, Any]:
    return _subscription_event(
        RECURRING_BILLING_CANCELED,
        subscription,
        renewalType=subscription.renewal_type,
        endDate=vendor_time(subscription.end_date),
    )


def recurring_billing_reinstated_payload(subscription: Subscription, running_nos: list[int]) -> dict[str, Any]:
    return _subscription_event(RECURRING_BILLING_REINSTATED, subscription, running_nos=running_nos)


REIMBURSEMENT_STATUS = {"refund": ("Refunded", "REF"), "chargeback": ("Chargeback", "CHB")}


def refund_payload(purchase: Purchase, kind: str) -> dict[str, Any]:
    """A RefundNotification or ChargebackNotification in the vendor's Reimbursement Model (the purchase under
    `purchase`): the whole purchase's gross went back."""
    currency = purchase.currency
    gross = pricing.round_money(purchase.gross, currency)
    status, status_id = REIMBURSEMENT_STATUS[kind]
    return {
        "meta": _meta(REFUND_KINDS[kind]),
        "purchase": {
            "purchaseId": purchase.vendor_id,
            "reimbursementId": purchase.pk,
            "status": status,
            "statusId": status_id,
            "reimbursementTime": vendor_time(clock_now()),
            "currencyId": currency,
            "totalGrossPrice": gross,
            "totalNetPrice": pricing.round_money(purchase.net, currency),
            "totalVatPrice": pricing.round_money(purchase.vat, currency),
            "items": [
                {
                    "runningNumber": 1,
                    "totalGrossPrice": gross,
                    "recurringBilling": {
                        "subscriptionId": f"S{purchase.subscription_id}",
                        "subscriptionItemRunningNo": purchase.running_no,
                        "intervalNumber": purchase.interval_no,
                    },
                }
            ],
        },
    }


def notification_record(*, purchase: Purchase, item: SubscriptionItem) -> list[NotificationDelivery]:
    """Plan the notification for a charged purchase; call inside the purchase's transaction."""
    return _record(
        kind=PAID_ORDER,
        subscription=purchase.subscription,
        purchase=purchase,
        payload=paid_order_payload(purchase, item),
    )


def renewal_type_changed_record(*, subscription: Subscription) -> list[NotificationDelivery]:
    """Call inside the change's transaction, like every `*_record`."""
    return _record(
        kind=RENEWAL_TYPE_CHANGED, subscription=subscription, payload=renewal_type_changed_payload(subscription)
    )


def recurring_billing_canceled_record(*, subscription: Subscription) -> list[NotificationDelivery]:
    return _record(
        kind=RECURRING_BILLING_CANCELED,
        subscription=subscription,
        payload=recurring_billing_canceled_payload(subscription),
    )


def recurring_billing_reinstated_record(
    *, subscription: Subscription, running_nos: list[int]
) -> list[NotificationDelivery]:
    return _record(
        kind=RECURRING_BILLING_REINSTATED,
        subscription=subscription,
        payload=recurring_billing_reinstated_payload(subscription, running_nos),
    )


def refund_record(*, purchase: Purchase, kind: str) -> list[NotificationDelivery]:
    return _record(
        kind=REFUND_KINDS[kind],
        subscription=purchase.subscription,
        purchase=purchase,
        payload=refund_payload(purchase, kind),
    )


def _record(
    *, kind: str, subscription: Subscription, payload: dict[str, Any], purchase: Purchase | None = None
) -> list[NotificationDelivery]:
    """Plan one notification (and the control's duplicates, held or delayed as it says) for the worker to send."""
    plan = control()
    body = dumps(payload)
    now = real_now()
    deliveries = [
        NotificationDelivery.objects.create(
            kind=kind,
            subscription=subscription,
            purchase=purchase,
            copy_no=copy_no,
            url=settings.SANDBOX_NOTIFICATION_URL,
            body=body,
            state=DeliveryState.HELD if plan.hold else DeliveryState.PENDING,
            created_at=now,
            next_attempt_at=None if plan.hold else now + timedelta(seconds=float(plan.delay_seconds)),
        )
        for copy_no in range(1, 2 + plan.duplicate)
    ]
    if not plan.hold:
        for delivery in deliveries:
            _enqueue(delivery)
    return deliveries


def _enqueue(delivery: NotificationDelivery) -> None:
    """Ask the worker for the next attempt; when that fails, the sweep sends the delivery once it is due."""
    job = deliver_notification
    run_after = delivery.next_attempt_at
    try:
        if run_after is not None and run_after > real_now():
            if not default_task_backend.supports_defer:
                return  # `manage.py sandbox_notifications --deliver` sends what is due
            job = job.using(run_after=run_after)
        job.enqueue(delivery.pk)
    except Exception:
        logger.exception("could not enqueue notification delivery %s", delivery.pk)


def _auth() -> httpx.BasicAuth | None:
    user = getattr(settings, "CLEVERBRIDGE_NOTIFICATION_USER", "")
    if not user:
        return None
    return httpx.BasicAuth(user, getattr(settings, "CLEVERBRIDGE_NOTIFICATION_PASSWORD", ""))


def _post(delivery: NotificationDelivery) -> tuple[int | None, str]:
    """One attempt: (HTTP status or None, error text)."""
    try:
        with httpx.Client(
            transport=make_transport(), timeout=settings.SANDBOX_NOTIFICATION_TIMEOUT, follow_redirects=False
        ) as client:
            response = client.post(
                delivery.url,
                content=delivery.body.encode(),
                headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "Cleverbridge-Sandbox"},
                auth=_auth() or httpx.USE_CLIENT_DEFAULT,
            )
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    error = "" if 200 <= response.status_code < 300 else response.text[:MAX_ERROR]
    return response.status_code, error


def _attempt_lasts() -> timedelta:
    return timedelta(seconds=settings.SANDBOX_NOTIFICATION_TIMEOUT + ATTEMPT_MARGIN_SECONDS)


def _retry_after(delivery: NotificationDelivery, status: int | None) -> timedelta:
    """Our own trouble (no answer, a 5xx) is tried again within seconds, a few times; then the vendor's schedule."""
    transient = status is None or status >= 500
    if transient and delivery.attempts <= len(QUICK_RETRY_SECONDS):
        return timedelta(seconds=QUICK_RETRY_SECONDS[delivery.attempts - 1])
    return timedelta(seconds=settings.SANDBOX_NOTIFICATION_RETRY_SECONDS)


def notification_deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Send one delivery if it is pending and due; on failure plan the next try within the retry window.

    The attempt is recorded before the POST with the time by which it must have ended, so an attempt that
    dies on the way is due again then (and no other attempt starts meanwhile).
    """
    now = now or real_now()
    with transaction.atomic():
        delivery = NotificationDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.state != DeliveryState.PENDING:
            return delivery.state if delivery else "missing"
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return delivery.state
        delivery.attempts += 1
        delivery.first_attempt_at = delivery.first_attempt_at or now
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + _attempt_lasts()
        delivery.save(update_fields=["attempts", "first_attempt_at", "last_attempt_at", "next_attempt_at"])
    status, error = _post(delivery)
    delivery.last_status = status
    delivery.last_error = error
    if status is not None and 200 <= status < 300:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    else:
        window_ends = delivery.first_attempt_at + timedelta(hours=settings.SANDBOX_NOTIFICATION_RETRY_FOR_HOURS)
        next_at = now + _retry_after(delivery, status)
        if next_at <= window_ends:
            delivery.next_attempt_at = next_at
        else:
            delivery.state = DeliveryState.FAILED
            delivery.next_attempt_at = None
    outcome = ["last_status", "last_error", "state", "delivered_at", "next_attempt_at"]
    recorded = NotificationDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
        **{name: getattr(delivery, name) for name in outcome}
    )
    logger.info(
        "sandbox notification %s (%s) for S%s: HTTP %s, %s%s",
        delivery.pk,
        delivery.kind,
        delivery.subscription_id,
        status if status is not None else "-",
        delivery.state,
        "" if recorded else " (a later attempt had begun; its outcome stands)",
    )
    if recorded and delivery.state == DeliveryState.PENDING:
        _enqueue(delivery)
    return delivery.state


@task()
def deliver_notification(delivery_id: int) -> str:
    """One attempt, in the worker. A database error plans a new attempt within seconds (the sweep is the net)."""
    try:
        return notification_deliver(delivery_id=delivery_id)
    except DatabaseError:
        logger.warning("notification delivery %s stopped on a database error; trying again soon", delivery_id)
        _enqueue_soon(delivery_id)
        raise


def _enqueue_soon(delivery_id: int) -> None:
    if not default_task_backend.supports_defer:
        return
    run_after = real_now() + timedelta(seconds=QUICK_RETRY_SECONDS[0])
    try:
        deliver_notification.using(run_after=run_after).enqueue(delivery_id)
    except Exception:
        logger.exception("could not enqueue notification delivery %s again; the sweep will send it", delivery_id)


def notifications_due(*, now: datetime | None = None) -> list[NotificationDelivery]:
    now = now or real_now()
    return list(
        NotificationDelivery.objects.filter(state=DeliveryState.PENDING)
        .exclude(next_attempt_at__gt=now)
        .order_by("created_at", "id")
    )


def notifications_sweep(*, now: datetime | None = None) -> int:
    """Attempt every delivery that is due (a retry whose task was lost, an attempt that died); how many were tried.

    One delivery's failure does not stop the others; it stays due and the next sweep tries it again.
    """
    due = notifications_due(now=now)
    for delivery in due:
        try:
            notification_deliver(delivery_id=delivery.pk, now=now)
        except Exception:
            logger.exception("sweep: notification delivery %s failed; it stays due", delivery.pk)
    return len(due)


@task()
def sweep_notifications() -> int:
    """One sweep, for a worker that runs periodic tasks (`manage.py sandbox_notifications --every` does it alone)."""
    return notifications_sweep()


def notifications_release(*, order: str = "in_order") -> list[NotificationDelivery]:
    """Send the held deliveries, oldest first or newest first (to reorder them)."""
    with transaction.atomic():
        held = list(
            NotificationDelivery.objects.select_for_update()
            .filter(state=DeliveryState.HELD)
            .order_by("created_at", "id")
        )
        if order == "reverse":
            held.reverse()
        now = real_now()
        for delivery in held:
            delivery.state = DeliveryState.PENDING
            delivery.next_attempt_at = now
            delivery.save(update_fields=["state", "next_attempt_at"])
    for delivery in held:
        _enqueue(delivery)
    return held


def control_update(
    *, duplicate: int | None = None, delay_seconds: Decimal | None = None, hold: bool | None = None
) -> NotificationControl:
    plan = control()
    if duplicate is not None:
        plan.duplicate = duplicate
    if delay_seconds is not None:
        plan.delay_seconds = delay_seconds
    if hold is not None:
        plan.hold = hold
    plan.save()
    return plan


def control_reset() -> NotificationControl:
    NotificationControl.objects.filter(pk=1).delete()
    return control()
