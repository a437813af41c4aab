"""Prepare the demo: the sandbox's demo scenario, the demo catalog and the demo support agent, each only once."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from subscriptions.management.commands.demo_agent import DEMO_AGENT_PASSWORD, DEMO_AGENT_USERNAME
from subscriptions.models import CatalogProduct

DEMO_SCENARIO = Path(settings.BASE_DIR) / "sandbox" / "scenarios" / "demo.json"
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
        call_command("demo_agent", stdout=self.stdout)
        url = settings.SITE_URL
        summary = (
            f"\nThe demo is ready at {url}/\n"
            f"  Customer: sign in with {DEMO_CUSTOMER_EMAIL}; the sign-in link is printed in this terminal\n"
            f"            (e-mails go to the console in the demo).\n"
            f"  Support:  {url}/admin/ as {DEMO_AGENT_USERNAME} / {DEMO_AGENT_PASSWORD} with the code from your\n"
            "            authenticator app (enrol the secret above), or run\n"
            "            `.venv/bin/python manage.py demo_agent --code`\n"
            f"  Sandbox:  {url}/sandbox/api/ and {url}/sandbox/control/ (Basic auth "
            f"{settings.CLEVERBRIDGE_API_USER}:{settings.CLEVERBRIDGE_API_PASSWORD})\n"
        )
        self.stdout.write(summary)
        return ""
