"""The notification inbox, read-only: support filters by status (unmatched, malformed, error) and searches purchases."""

from django.contrib import admin

from subscriptions.admin.changes import ReadOnlyAdmin
from subscriptions.models import InboundNotification


@admin.register(InboundNotification)
class InboundNotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "notification_type",
        "purchase_id",
        "subscription_id",
        "status_id",
        "status",
        "replay_count",
        "quote",
        "note",
    ]
    list_filter = ["status", "notification_type", "status_id"]
    search_fields = ["purchase_id", "subscription_id", "quote__public_id", "note"]
    date_hierarchy = "received_at"
    readonly_fields = [field.name for field in InboundNotification._meta.fields]
