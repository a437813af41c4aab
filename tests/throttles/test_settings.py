"""The throttles' settings: defaults a product would pick, and a clear refusal of nonsense."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PRINT = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SIGN_IN_EMAILS_PER_ADDRESS, s.SIGN_IN_REQUESTS_PER_IP, s.SIGN_IN_THROTTLE_MINUTES, "
    "s.PORTAL_SESSIONS_PER_KEY, s.PORTAL_SESSIONS_PER_IP, s.PORTAL_THROTTLE_MINUTES, s.TRUSTED_PROXY_COUNT)"
)
NAMES = (
    "SIGN_IN_EMAILS_PER_ADDRESS",
    "SIGN_IN_REQUESTS_PER_IP",
    "SIGN_IN_THROTTLE_MINUTES",
    "PORTAL_SESSIONS_PER_KEY",
    "PORTAL_SESSIONS_PER_IP",
    "PORTAL_THROTTLE_MINUTES",
    "TRUSTED_PROXY_COUNT",
)


def load(**overrides: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in NAMES}
    return subprocess.run(
        [sys.executable, "-c", PRINT],
        env={**env, **overrides, "DJANGO_SETTINGS_MODULE": "selfservice.settings"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_defaults():
    result = load()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "20", "15", "60", "120", "1", "0"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SIGN_IN_EMAILS_PER_ADDRESS", "three", "SIGN_IN_EMAILS_PER_ADDRESS must be a whole number"),
        ("SIGN_IN_REQUESTS_PER_IP", "0", "SIGN_IN_REQUESTS_PER_IP must be at least 1"),
        ("PORTAL_THROTTLE_MINUTES", "-1", "PORTAL_THROTTLE_MINUTES must be at least 1"),
        ("TRUSTED_PROXY_COUNT", "-1", "TRUSTED_PROXY_COUNT must be 0 or more"),
        ("TRUSTED_PROXY_COUNT", "yes", "TRUSTED_PROXY_COUNT must be a whole number"),
    ],
)
def test_nonsense_is_refused(name, value, message):
    result = load(**{name: value})
    assert result.returncode != 0
    assert message in result.stderr
