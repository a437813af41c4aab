"""List the sandbox's notification deliveries, or send the ones that are due (without a worker)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from sandbox.models import NotificationDelivery
from sandbox.notifications import notification_deliver, notifications_due


class Command(BaseCommand):
    help = "List the sandbox's PaidOrderNotification deliveries; --deliver sends those that are due now."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--deliver", action="store_true", help="send every pending delivery that is due")

    def handle(self, *args, deliver: bool = False, **options) -> None:
        if deliver:
            due = notifications_due()
            for delivery in due:
                notification_deliver(delivery_id=delivery.pk)
            self.stdout.write(f"attempted {len(due)} deliveries")
        for delivery in NotificationDelivery.objects.select_related("purchase")[:50]:
            self.stdout.write(
                f"{delivery.pk} purchase {delivery.purchase.vendor_id} copy {delivery.copy_no}: {delivery.state}, "
                f"{delivery.attempts} attempt(s), last HTTP {delivery.last_status or '-'}"
            )
