"""The staleness bound comes from settings, and nonsense there refuses to start."""

from __future__ import annotations

import pytest

from subscriptions import vendor_cache
from tests.cache.conftest import T0, Vendor, later, make_subscription
from tests.test_settings import _load_settings


def test_the_module_functions_use_the_settings_bound(cache_prefix, settings):
    settings.VENDOR_CACHE_FRESH_SECONDS = 5
    vendor = Vendor(make_subscription(1))

    vendor_cache.subscription(1, fetch=vendor, now=T0)
    vendor_cache.subscription(1, fetch=vendor, now=later(5))
    vendor_cache.subscription(1, fetch=vendor, now=later(5.5))
    vendor_cache.invalidate(1)
    vendor_cache.subscription(1, fetch=vendor, now=later(6))

    assert vendor.calls == 3


def test_the_module_functions_keep_lists_and_invalidate_customers(cache_prefix):
    vendor = Vendor([make_subscription(1)])

    vendor_cache.customer_subscriptions(4711, fetch=vendor, now=T0)
    vendor_cache.customer_subscriptions(4711, fetch=vendor, now=later(1))
    vendor_cache.invalidate_customer(4711)
    vendor_cache.customer_subscriptions(4711, fetch=vendor, now=later(2))

    assert vendor.calls == 2


def test_the_defaults():
    result = _load_settings()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"VENDOR_CACHE_FRESH_SECONDS": "a minute"}, "VENDOR_CACHE_FRESH_SECONDS must be a whole number"),
        ({"VENDOR_CACHE_KEEP_SECONDS": "1.5"}, "VENDOR_CACHE_KEEP_SECONDS must be a whole number"),
        ({"VENDOR_CACHE_FRESH_SECONDS": "-1"}, "VENDOR_CACHE_FRESH_SECONDS must be at least 0"),
        ({"VENDOR_CACHE_FRESH_SECONDS": "600", "VENDOR_CACHE_KEEP_SECONDS": "60"}, "at most VENDOR_CACHE_KEEP"),
    ],
)
def test_bad_values_refuse_to_start(overrides, message):
    result = _load_settings(**overrides)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
