"""The notification inbox, read-only: support filters by status (unmatched, malformed, error) and searches purchases."""

from django.contrib import admin, messages

from subscriptions.admin.site import ReadOnlyAdmin
from subscriptions.models import InboundNotification
from subscriptions.notifications import REPROCESSABLE, notification_reprocess


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
    actions = ["reprocess"]

    def get_actions(self, request):
        return admin.ModelAdmin.get_actions(self, request)

    def has_reprocess_permission(self, request) -> bool:
        return request.user.has_perm("subscriptions.reprocess_notification")

    @admin.action(description="Re-process the selected notifications", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        """Queue failed or unmatched notifications for another match, e.g. once the vendor answers again."""
        ids = list(queryset.filter(status__in=REPROCESSABLE).values_list("pk", flat=True))
        asked_by = request.user.get_username()
        queued = sum(notification_reprocess(notification_id=pk, asked_by=asked_by) for pk in ids)
        skipped = queryset.count() - queued
        self.message_user(request, f"{queued} notification(s) queued for processing.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} skipped: only failed or unmatched notifications are re-processed.", messages.INFO
            )
