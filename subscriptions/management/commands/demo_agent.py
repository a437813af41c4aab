"""The demo's support agent: user `agent` in the support agent group, with a TOTP device to enrol.

Prints the otpauth:// URL, its base32 secret and a terminal QR code for an authenticator app, and
how to get the current code without a phone (`manage.py demo_agent --code`). Safe to run again: the
user and the device (so the enrolled app) are kept.
"""

import io
from base64 import b32encode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from subscriptions.roles import SUPPORT_AGENT, roles_setup

DEMO_AGENT_USERNAME = "agent"
DEMO_AGENT_PASSWORD = "demo-agent-password"  # demo only: the command refuses to run when DEBUG is off
DEVICE_NAME = "demo authenticator"


def current_code(device: TOTPDevice) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{code:0{device.digits}d}"


class Command(BaseCommand):
    help = "Create the demo support agent with a confirmed TOTP device and print how to enrol it."

    def add_arguments(self, parser):
        parser.add_argument("--code", action="store_true", help="Only print the agent's current TOTP code.")
        parser.add_argument("--no-qr", action="store_true", help="Do not draw the QR code.")

    def handle(self, *args, code=False, no_qr=False, **options) -> str:
        if not settings.DEBUG:
            raise CommandError("demo_agent is for the demo only; DEBUG is off.")
        if code:
            device = TOTPDevice.objects.filter(user__username=DEMO_AGENT_USERNAME, name=DEVICE_NAME).first()
            if device is None:
                raise CommandError("No demo agent yet: run `manage.py demo_agent` first.")
            return current_code(device) + "\n"

        roles_setup()
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=DEMO_AGENT_USERNAME, defaults={"email": "agent@example.com", "is_staff": True}
        )
        if created or not user.check_password(DEMO_AGENT_PASSWORD) or not user.is_staff:
            user.is_staff = True
            user.set_password(DEMO_AGENT_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=SUPPORT_AGENT))
        device, _ = TOTPDevice.objects.get_or_create(user=user, name=DEVICE_NAME, defaults={"confirmed": True})
        if not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])

        secret = b32encode(device.bin_key).decode()
        lines = [
            f"Demo support agent: {settings.SITE_URL}/admin/ as {DEMO_AGENT_USERNAME} / {DEMO_AGENT_PASSWORD}",
            "  plus a 6-digit code from an authenticator app (TOTP). Enrol it once with:",
            f"  secret (base32): {secret}",
            f"  otpauth URL:     {device.config_url}",
        ]
        if not no_qr:
            lines.append(_qr(device.config_url))
        lines.append("  No phone? Current code: .venv/bin/python manage.py demo_agent --code")
        return "\n".join(lines) + "\n"


def _qr(url: str) -> str:
    import qrcode  # only this command draws a QR code; the web process never loads it

    qr = qrcode.QRCode(border=1)
    qr.add_data(url)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    return out.getvalue()
