"""The budget's settings are read strictly; numbers that would break the vendor's limit refuse to start."""

import os
import subprocess
import sys
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured

from subscriptions.cleverbridge import budget as vendor_budget
from subscriptions.cleverbridge.budget import BudgetConfig, config_from_settings, get_budget
from tests.test_settings import _load_settings

PRINT_BUDGET_URL = (
    "import django; django.setup(); from django.conf import settings; print(repr(settings.VENDOR_BUDGET_REDIS_URL))"
)


@pytest.fixture(autouse=True)
def _fresh_budget():
    vendor_budget.reset_budget()
    yield
    vendor_budget.reset_budget()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rate_per_second": 0}, "CLEVERBRIDGE_RATE_PER_SECOND must be above 0"),
        ({"rate_per_second": float("nan")}, "CLEVERBRIDGE_RATE_PER_SECOND must be above 0"),
        ({"burst": 0.5}, "CLEVERBRIDGE_RATE_BURST must be at least 1"),
        ({"rate_per_second": 28, "burst": 4}, "must not exceed the vendor's 30 requests per second"),
        ({"max_concurrent": 0}, "CLEVERBRIDGE_MAX_CONCURRENT must be at least 1"),
        ({"process_count_hint": 0}, "CLEVERBRIDGE_PROCESS_COUNT_HINT must be at least 1"),
        ({"lease_seconds": 0}, "the lease must be above 0 seconds"),
    ],
)
def test_numbers_out_of_range_are_refused(overrides, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        BudgetConfig(**overrides)


def test_the_budget_is_built_from_settings_and_refuses_bad_ones(settings):
    settings.CLEVERBRIDGE_RATE_PER_SECOND = 27.0
    settings.CLEVERBRIDGE_RATE_BURST = 4.0

    with pytest.raises(ImproperlyConfigured, match="vendor's 30 requests per second"):
        get_budget()


def test_the_defaults_stay_below_the_vendors_limit(settings):
    settings.VENDOR_BUDGET_REDIS_URL = ""
    config = config_from_settings()

    assert (config.rate_per_second, config.burst, config.max_concurrent) == (25.0, 4.0, 4)
    assert config.lease_seconds == settings.CLEVERBRIDGE_CONNECT_TIMEOUT + settings.CLEVERBRIDGE_READ_TIMEOUT
    assert get_budget().state().backend == "local"


def test_one_budget_per_process_even_when_threads_ask_at_once(settings):
    settings.VENDOR_BUDGET_REDIS_URL = ""
    budgets = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        budgets.append(get_budget())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(budget) for budget in budgets}) == 1


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CLEVERBRIDGE_RATE_PER_SECOND", "fast", "CLEVERBRIDGE_RATE_PER_SECOND must be a number"),
        ("CLEVERBRIDGE_RATE_BURST", "some", "CLEVERBRIDGE_RATE_BURST must be a number"),
        ("CLEVERBRIDGE_MAX_CONCURRENT", "4.5", "CLEVERBRIDGE_MAX_CONCURRENT must be a whole number"),
        ("CLEVERBRIDGE_PROCESS_COUNT_HINT", "many", "CLEVERBRIDGE_PROCESS_COUNT_HINT must be a whole number"),
    ],
)
def test_malformed_values_refuse_to_start(name, value, message):
    result = _load_settings(**{name: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    ("environment", "url"),
    [
        ({}, ""),
        ({"CACHE_URL": "locmemcache://"}, ""),
        ({"CACHE_URL": "redis://10.0.0.5:6379/1"}, "redis://10.0.0.5:6379/1"),
        (
            {"CACHE_URL": "redis://10.0.0.5:6379/1", "VENDOR_BUDGET_REDIS_URL": "redis://10.0.0.6:6379/2"},
            "redis://10.0.0.6:6379/2",
        ),
    ],
)
def test_the_budget_uses_the_caches_redis_unless_told_otherwise(environment, url, monkeypatch):
    monkeypatch.delenv("CACHE_URL", raising=False)
    monkeypatch.delenv("VENDOR_BUDGET_REDIS_URL", raising=False)
    result = _print_budget_url(environment)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(url)


def _print_budget_url(environment: dict[str, str]):
    return subprocess.run(
        [sys.executable, "-c", PRINT_BUDGET_URL],
        env={**os.environ, **environment, "DJANGO_SETTINGS_MODULE": "selfservice.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
