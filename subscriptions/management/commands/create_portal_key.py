from django.core.management.base import BaseCommand

from subscriptions.models import PortalKey


class Command(BaseCommand):
    help = "Create an API key for POST /api/portal-sessions and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who uses the key, e.g. the product's name (shown as 'Back to <name>').")

    def handle(self, *args, name: str, **options) -> str:
        key, raw = PortalKey.issue(name)
        self.stderr.write(f"Created portal key {key.prefix}… for {name!r}. Copy it now; it is not shown again:")
        return raw
