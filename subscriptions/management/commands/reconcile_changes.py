"""Resolve outcome-unknown changes by reading subscriptions, and retry waiting notifications.

Run it every few minutes from cron (or a scheduler) in production, as a safety net beside the
worker: it never sends a commit, only reads.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from subscriptions.reconcile import reconcile_due


class Command(BaseCommand):
    help = "Resolve outcome-unknown changes (reads only) and retry pending payment notifications that are due."

    def handle(self, *args, **options) -> str:
        summary = reconcile_due()
        self.stdout.write(str(summary))
        return ""
