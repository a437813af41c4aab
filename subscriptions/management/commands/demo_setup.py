"""Prepare the demo: the sandbox's demo scenario, the demo catalog and a staff user, each only where none exists yet."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from subscriptions.models import CatalogProduct

DEMO_SCENARIO = Path(settings.BASE_DIR) / "sandbox" / "scenarios" / "demo.json"
DEMO_STAFF_USERNAME = "admin"
DEMO_STAFF_PASSWORD = "demo-admin-password"  # demo only: the command refuses to run when DEBUG is off
DEMO_CUSTOMER_EMAIL = "anna.schmidt@example.com"


class Command(BaseCommand):
    help = "Load the demo scenario into the sandbox (only when it is empty) and print how to sign in."

    def handle(self, *args, **options) -> str:
        if not settings.DEBUG:
            raise CommandError("demo_setup is for the demo only; DEBUG is off.")
        if settings.SANDBOX_ENABLED:
            call_command("sandbox_load", str(DEMO_SCENARIO), "--if-empty", stdout=self.stdout)
        if not CatalogProduct.objects.exists():
            call_command("loaddata", "demo_catalog", verbosity=0)
        self._ensure_staff_user()
        url = settings.SITE_URL
        summary = (
            f"\nThe demo is ready at {url}/\n"
            f"  Customer: sign in with {DEMO_CUSTOMER_EMAIL}; the sign-in link is printed in this terminal\n"
            f"            (e-mails go to the console in the demo).\n"
            f"  Support:  {url}/admin/ as {DEMO_STAFF_USERNAME} / {DEMO_STAFF_PASSWORD}\n"
            f"  Sandbox:  {url}/sandbox/api/ and {url}/sandbox/control/ (Basic auth "
            f"{settings.CLEVERBRIDGE_API_USER}:{settings.CLEVERBRIDGE_API_PASSWORD})\n"
        )
        self.stdout.write(summary)
        return ""

    def _ensure_staff_user(self) -> None:
        user_model = get_user_model()
        if not user_model.objects.filter(username=DEMO_STAFF_USERNAME).exists():
            user_model.objects.create_superuser(DEMO_STAFF_USERNAME, "admin@example.com", DEMO_STAFF_PASSWORD)
