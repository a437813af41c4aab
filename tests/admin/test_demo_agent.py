"""`manage.py demo_agent`: the demo's support agent with a TOTP device, idempotent, and the code without a phone."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


def test_demo_agent_enrols_once_and_can_sign_in_with_the_printed_code(settings):
    settings.DEBUG = True
    first = call_command("demo_agent", "--no-qr")
    second = call_command("demo_agent")
    assert "otpauth://totp/" in first and "secret (base32):" in first and "demo_agent --code" in first
    assert "█" in second or "▀" in second or "▄" in second  # the terminal QR code
    user = get_user_model().objects.get(username="agent")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Support agent"]
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed
    assert b32(device) in first and b32(device) in second

    code = call_command("demo_agent", "--code").strip()
    client = Client()
    response = client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": "agent", "password": "demo-agent-password", "otp_device": device.persistent_id, "otp_token": code},
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:subscriptions_customer_changelist")).status_code == 200


def b32(device) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode()
