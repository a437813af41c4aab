"""Staff sessions in tests: password only, or verified with a TOTP device as the admin requires."""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def device_for(user) -> TOTPDevice:
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test authenticator", defaults={"confirmed": True})
    return device


def password_only(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def verified(user) -> Client:
    """A client signed in as `user` whose session has passed the TOTP step (like `django_otp.login`)."""
    client = password_only(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device_for(user).persistent_id
    session.save()
    return client


def current_token(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
