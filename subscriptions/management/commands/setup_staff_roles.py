"""Create or refresh the support console's permission groups (support agent, catalog manager)."""

from django.core.management.base import BaseCommand

from subscriptions.roles import roles_setup


class Command(BaseCommand):
    help = "Create or update the 'Support agent' and 'Catalog manager' groups; safe to run again."

    def handle(self, *args, **options) -> str:
        return roles_setup() + "\n"
