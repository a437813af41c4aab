"""Production refuses unsafe settings; the demo starts with none."""

import os
import subprocess
import sys

import pytest

PRINT_DEBUG = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
NOTIFICATION_SECRET = "n0tify-" + "Zq8Lm3Xv7Rt2Kp9W" * 3
SAFE_KEY = "k3y-" + "x7Qp2vL9mN4rT8wZ1aB6cD0eF5gH3jK" * 2


def _load_settings(**overrides: str) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests' live server in this process; a deployment has none.
    dropped = {"DEBUG", "SECRET_KEY", "SANDBOX_ENABLED", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
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


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": SAFE_KEY,
    "ALLOWED_HOSTS": "billing.example.com",
    "SANDBOX_ENABLED": "false",
    "CLEVERBRIDGE_NOTIFICATION_SECRET": NOTIFICATION_SECRET,
}
PRINT_HTTPS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.SECURE_SSL_REDIRECT, "
    "s.SECURE_REDIRECT_EXEMPT, s.SECURE_PROXY_SSL_HEADER, sep='|')"
)


def _run(args: list[str], **overrides: str) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests' live server in this process; a deployment has none.
    dropped = {"DEBUG", "SECRET_KEY", "SANDBOX_ENABLED", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(overrides)
    return subprocess.run(
        [sys.executable, *args],
        env={**env, "DJANGO_SETTINGS_MODULE": "selfservice.settings"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_the_documented_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_serves_https_only_for_a_year_but_the_health_check():
    result = _run(["-c", PRINT_HTTPS], **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|") == [
        "31536000",
        "True",
        "False",
        "True",
        "['^healthz$']",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
    ]


def test_https_settings_follow_the_environment():
    result = _run(
        ["-c", PRINT_HTTPS],
        **PRODUCTION,
        SECURE_HSTS_PRELOAD="true",
        SECURE_SSL_REDIRECT="false",
        SECURE_PROXY_SSL_HEADER="X-Scheme: https",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|") == [
        "31536000",
        "True",
        "True",
        "False",
        "['^healthz$']",
        "('HTTP_X_SCHEME', 'https')",
    ]
    no_proxy = _run(["-c", PRINT_HTTPS], **PRODUCTION, SECURE_PROXY_SSL_HEADER="")
    assert no_proxy.stdout.strip().endswith("|None"), no_proxy.stderr


def test_the_demo_serves_plain_http():
    result = _run(["-c", PRINT_HTTPS])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|") == ["0", "False", "False", "False", "['^healthz$']", "None"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECURE_HSTS_PRELOAD": "perhaps"}, "SECURE_HSTS_PRELOAD must be true or false"),
        ({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}, "SECURE_PROXY_SSL_HEADER must look like"),
    ],
)
def test_malformed_https_settings_refuse_to_start(overrides, message):
    result = _run(["-c", PRINT_HTTPS], **PRODUCTION, **overrides)
    assert result.returncode != 0
    assert message in result.stderr


def test_check_deploy_still_warns_about_a_weakened_setting():
    """The clean check above is not a muted one."""
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION, SECURE_HSTS_SECONDS="0")
    assert "security.W004" in result.stdout + result.stderr


PRINT_TEST_PURCHASES = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.CLEVERBRIDGE_ACCEPT_TEST_PURCHASES)"
)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SANDBOX_ENABLED": "true"}, "True"),
        ({"SANDBOX_ENABLED": "false"}, "False"),
        ({"SANDBOX_ENABLED": "false", "CLEVERBRIDGE_ACCEPT_TEST_PURCHASES": "true"}, "True"),
        ({"SANDBOX_ENABLED": "true", "CLEVERBRIDGE_ACCEPT_TEST_PURCHASES": "false"}, "False"),
    ],
)
def test_test_purchases_are_accepted_as_the_sandbox_is_on_unless_said_otherwise(overrides, expected):
    result = _run(["-c", PRINT_TEST_PURCHASES], **overrides)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_an_unclear_test_purchase_setting_refuses_to_start():
    result = _run(["-c", PRINT_TEST_PURCHASES], CLEVERBRIDGE_ACCEPT_TEST_PURCHASES="maybe")
    assert result.returncode != 0
    assert "CLEVERBRIDGE_ACCEPT_TEST_PURCHASES" in result.stderr
