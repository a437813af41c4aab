"""Production refuses unsafe settings; the demo starts with none."""

import os
import subprocess
import sys

import pytest

PRINT_DEBUG = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
NOTIFICATION_SECRET = "n0tify-" + "Zq8Lm3Xv7Rt2Kp9W" * 3
SAFE_KEY = "k3y-" + "x7Qp2vL9mN4rT8wZ1aB6cD0eF5gH3jK" * 2


def _load_settings(**overrides: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY", "SANDBOX_ENABLED"}}
    if overrides.get("DEBUG") == "false":
        env.setdefault("CLEVERBRIDGE_NOTIFICATION_SECRET", NOTIFICATION_SECRET)
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", PRINT_DEBUG],
        env={**env, "DJANGO_SETTINGS_MODULE": "selfservice.settings"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_demo_defaults_load():
    result = _load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DEBUG": "false", "ALLOWED_HOSTS": "example.com", "SANDBOX_ENABLED": "false"}, "SECRET_KEY"),
        (
            {"DEBUG": "false", "SECRET_KEY": "short", "ALLOWED_HOSTS": "example.com", "SANDBOX_ENABLED": "false"},
            "SECRET_KEY",
        ),
        ({"DEBUG": "false", "SECRET_KEY": SAFE_KEY, "SANDBOX_ENABLED": "false"}, "ALLOWED_HOSTS"),
        (
            {"DEBUG": "false", "SECRET_KEY": SAFE_KEY, "ALLOWED_HOSTS": "example.com", "SANDBOX_ENABLED": "true"},
            "SANDBOX_ENABLED",
        ),
        (
            {
                "DEBUG": "false",
                "SECRET_KEY": SAFE_KEY,
                "ALLOWED_HOSTS": "example.com",
                "SANDBOX_ENABLED": "false",
                "CLEVERBRIDGE_NOTIFICATION_SECRET": "short",
            },
            "CLEVERBRIDGE_NOTIFICATION_SECRET",
        ),
        ({"DEBUG": "maybe"}, "DEBUG must be true or false"),
        ({"CLEVERBRIDGE_READ_TIMEOUT": "soon"}, "CLEVERBRIDGE_READ_TIMEOUT must be a number"),
        ({"RECONCILE_BACKOFF_SECONDS": "5,soon"}, "RECONCILE_BACKOFF_SECONDS must be comma-separated whole numbers"),
    ],
)
def test_unsafe_or_malformed_settings_refuse_to_start(overrides, message):
    result = _load_settings(**overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_starts_with_safe_values_and_sandbox_explicitly_allowed():
    base = {"DEBUG": "false", "SECRET_KEY": SAFE_KEY, "ALLOWED_HOSTS": "example.com"}
    assert _load_settings(**base, SANDBOX_ENABLED="false").returncode == 0
    assert _load_settings(**base, SANDBOX_ENABLED="true", SANDBOX_ALLOW_WITHOUT_DEBUG="true").returncode == 0


def test_secret_key_may_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(SAFE_KEY)
    result = _load_settings(
        DEBUG="false", SECRET_KEY_FILE=str(key_file), ALLOWED_HOSTS="example.com", SANDBOX_ENABLED="false"
    )
    assert result.returncode == 0, result.stderr
