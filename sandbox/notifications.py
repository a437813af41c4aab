"""The vendor's notification sender: a PaidOrderNotification after each charged change.

A delivery row is written in the same transaction as the purchase (so no charge goes unannounced
and none is announced twice), then sent in the background by a task, like the vendor: not at once,
retried on failure (default every 2 hours for 48 hours), possibly duplicated, delayed or reordered
when the control says so. The sandbox is the vendor here, so it has its own small HTTP sender.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sandbox import pricing
from sandbox.clock import clock_now
from sandbox.models import (
    DeliveryState,
    NotificationControl,
    NotificationDelivery,
    Purchase,
    SubscriptionItem,
)

logger = logging.getLogger(__name__)

SCHEMA_URL = "https://www.cleverbridge.com/JsonNotificationSchemas/PaidOrderNotification"
TEST_STATUS = "TST"
MAX_ERROR = 2000


def real_now() -> datetime:
    return timezone.now()


def make_transport() -> httpx.BaseTransport | None:
    """The sender's transport (None: plain HTTP); tests replace it to deliver in-process."""
    return None


def control() -> NotificationControl:
    return NotificationControl.objects.filter(pk=1).first() or NotificationControl(pk=1)


def _vendor_time(moment: datetime | None) -> str | None:
    from sandbox.payloads import vendor_time

    return vendor_time(moment)


def paid_order_payload(purchase: Purchase, item: SubscriptionItem) -> dict[str, Any]:
    """The PaidOrderNotification for an Alignment purchase, in the guides' shape (see docs/sandbox.md)."""
    subscription = purchase.subscription
    currency = purchase.currency

    def money(value: Decimal) -> Decimal:
        return pricing.round_money(value, currency)

    return {
        "meta": {"type": "PaidOrderNotification", "date": _vendor_time(clock_now()), "schemaUrl": SCHEMA_URL},
        "purchaseId": purchase.vendor_id,
        "statusId": TEST_STATUS,
        "purchaseDate": _vendor_time(purchase.created_at),
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
                    "nextBillingDate": _vendor_time(subscription.next_billing_date),
                },
            }
        ],
    }


def notification_record(*, purchase: Purchase, item: SubscriptionItem) -> list[NotificationDelivery]:
    """Plan the notification for a charged purchase; call inside the purchase's transaction."""
    from sandbox.payloads import dumps

    plan = control()
    body = dumps(paid_order_payload(purchase, item))
    now = real_now()
    deliveries = [
        NotificationDelivery.objects.create(
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
    from django_tasks import default_task_backend

    from sandbox import tasks

    job = tasks.deliver_notification
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


def notification_deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Send one delivery if it is still pending; on failure plan the next try within the retry window."""
    now = now or real_now()
    with transaction.atomic():
        delivery = NotificationDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.state != DeliveryState.PENDING:
            return delivery.state if delivery else "missing"
        delivery.attempts += 1
        delivery.first_attempt_at = delivery.first_attempt_at or now
        delivery.last_attempt_at = now
        delivery.save(update_fields=["attempts", "first_attempt_at", "last_attempt_at"])
    status, error = _post(delivery)
    delivery.last_status = status
    delivery.last_error = error
    if status is not None and 200 <= status < 300:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    else:
        window_ends = delivery.first_attempt_at + timedelta(hours=settings.SANDBOX_NOTIFICATION_RETRY_FOR_HOURS)
        next_at = now + timedelta(seconds=settings.SANDBOX_NOTIFICATION_RETRY_SECONDS)
        if next_at <= window_ends:
            delivery.next_attempt_at = next_at
        else:
            delivery.state = DeliveryState.FAILED
            delivery.next_attempt_at = None
    delivery.save(update_fields=["last_status", "last_error", "state", "delivered_at", "next_attempt_at"])
    logger.info(
        "sandbox notification %s for purchase %s: HTTP %s, %s",
        delivery.pk,
        delivery.purchase_id,
        status if status is not None else "-",
        delivery.state,
    )
    if delivery.state == DeliveryState.PENDING:
        _enqueue(delivery)
    return delivery.state


def notifications_due(*, now: datetime | None = None) -> list[NotificationDelivery]:
    now = now or real_now()
    return list(
        NotificationDelivery.objects.filter(state=DeliveryState.PENDING)
        .exclude(next_attempt_at__gt=now)
        .order_by("created_at", "id")
    )


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
