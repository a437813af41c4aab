"""What the vendor sent us: every inbound notification, stored before anything acts on it.

A delivery is read in memory and written once, with the raw body and sanitized headers, already in the
status reading found. The vendor has no event id and retries for 48 hours, so (purchase id, type) is
unique among originals: a replay is stored too, marked `duplicate` and linked to the original, and changes
nothing else; past the first few replays of a purchase only the body's hash and size are kept.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from subscriptions.models.changes import Quote

__all__ = ["EVENTS_WITHOUT_PURCHASE", "InboundNotification", "NotificationStatus"]

EVENTS_WITHOUT_PURCHASE = (
    "SubscriptionRenewalTypeChangedNotification",
    "RecurringBillingCanceledNotification",
    "RecurringBillingReinstatedNotification",
)
"""Subscription events that name no purchase: a replay is told from a new event by the body's hash."""


class NotificationStatus(models.TextChoices):
    RECEIVED = "received", "Received, kept raw (could not be stored in full)"
    MALFORMED = "malformed", "Malformed (not a JSON object or fields missing)"
    IGNORED = "ignored", "Ignored (unknown type or a test purchase)"
    DUPLICATE = "duplicate", "Duplicate of an earlier delivery"
    PENDING = "pending", "Waiting to be processed"
    PROCESSED = "processed", "Processed: the change is paid or confirmed"
    UNMATCHED = "unmatched", "Matches no change (kept for support)"
    ERROR = "error", "Processing failed; will be retried"


class InboundNotification(models.Model):
    """One delivery from the vendor, exactly as received (read-only in the admin)."""

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    headers = models.JSONField(default=dict, help_text="Request headers without Authorization and Cookie.")
    body = models.TextField(blank=True, help_text="The raw body (UTF-8, undecodable bytes replaced).")
    body_bytes = models.PositiveIntegerField(default=0, help_text="The body's size as received.")
    body_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the body as received (kept also when the body is not)."
    )

    status = models.CharField(max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.RECEIVED)
    note = models.TextField(blank=True, help_text="Why it has its status, in words.")
    notification_type = models.CharField(max_length=100, blank=True, help_text="meta.type")
    purchase_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    status_id = models.CharField(max_length=20, blank=True, help_text="The purchase's statusId (TST = test).")
    subscription_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replays")
    replay_count = models.PositiveIntegerField(default=0, help_text="How many replays of this one arrived since.")
    last_replay_at = models.DateTimeField(null=True, blank=True)

    quote = models.ForeignKey(Quote, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications")
    attempts = models.PositiveIntegerField(default=0, help_text="Processing attempts.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        permissions = [("reprocess_notification", "Can re-process a notification that failed or matched nothing")]
        constraints = [
            models.UniqueConstraint(
                fields=["purchase_id", "notification_type"],
                condition=models.Q(duplicate_of__isnull=True, purchase_id__isnull=False),
                name="notification_unique_purchase_and_type",
            ),
            models.UniqueConstraint(
                fields=["notification_type", "body_sha256"],
                condition=models.Q(
                    duplicate_of__isnull=True,
                    purchase_id__isnull=True,
                    notification_type__in=EVENTS_WITHOUT_PURCHASE,
                    status__in=["pending", "processed", "unmatched", "error"],
                ),
                name="notification_unique_event_body",
            ),
        ]

    def __str__(self) -> str:
        what = self.notification_type or "notification"
        purchase = f" purchase {self.purchase_id}" if self.purchase_id else ""
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} {what}{purchase} ({self.status})"
