"""Vendor caches on both backends: this process's memory and the real Redis (DB 11), each test under its own prefix."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import redis
from django.core.cache import caches

from subscriptions.cleverbridge import PaymentInfo, Prices, Subscription, SubscriptionItem
from subscriptions.vendor_cache import VendorCache

REDIS_URL = "redis://127.0.0.1:6379/11"
T0 = datetime(2026, 4, 24, 16, 1, 10, 344357, tzinfo=UTC)
FRESH = 60
KEEP = 24 * 60 * 60


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.2).ping())
    except redis.RedisError:
        return False


def cache_config(backend: str, prefix: str) -> dict:
    if backend == "redis":
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix, "KEY_PREFIX": prefix}


@pytest.fixture(params=["local", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request) -> str:
    if request.param == "redis" and not redis_answers():
        pytest.skip(f"Redis is not answering at {REDIS_URL}; start redis-server to run the shared-cache tests")
    return request.param


@pytest.fixture
def cache_prefix(backend, settings):
    """The default cache on this test's backend, under a prefix of its own (deleted afterwards on Redis)."""
    prefix = f"test-vendor-cache-{uuid.uuid4().hex}"
    settings.CACHES = {"default": cache_config(backend, prefix)}
    yield prefix
    if backend == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


class Sleeps:
    """The sleep handed to a cache: counts the waits; never waits on the wall clock."""

    def __init__(self, then: Callable[[], None] | None = None):
        self.count = 0
        self.then = then
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.count += 1
        if self.then is not None:
            self.then()


@pytest.fixture
def make_cache(cache_prefix):
    """A vendor cache on a connection of its own, as another process would have (locmem: same store by name)."""

    def make(**overrides) -> VendorCache:
        options = {
            "cache": caches.create_connection("default"),
            "fresh_seconds": FRESH,
            "keep_seconds": KEEP,
            "sleep": Sleeps(),
            **overrides,
        }
        return VendorCache(**options)

    return make


def prices(gross: str, net: str, vat: str) -> Prices:
    return Prices(gross=Decimal(gross), net=Decimal(net), vat=Decimal(vat), currency="USD")


def make_subscription(subscription_id: int = 68574751, *, quantity: int = 10, customer_id: int = 4711) -> Subscription:
    """The guide's subscription: Cloudify M, 10 users, $800.00 = $672.27 net + $127.73 VAT."""
    start = datetime(2026, 1, 23, 9, 30, 0, 123456, tzinfo=UTC)
    monthly = prices("800.00", "672.27", "127.73")
    item = SubscriptionItem(
        running_no=1,
        product_id=240886,
        product_name="Cloudify M",
        quantity=quantity,
        status=1,
        start=start,
        version=quantity,
        is_current=True,
        version_active=None,
        next_billing=monthly,
        next_renewal=monthly,
    )
    return Subscription(
        id=subscription_id,
        customer_id=customer_id,
        customer_reference_id="anna-1",
        currency="USD",
        status=1,
        renewal_type="Automatic",
        start=start,
        next_billing_date=datetime(2026, 5, 23, 9, 30, tzinfo=UTC),
        next_renewal_date=None,
        interval_months=1,
        interval_days=0,
        items=(item,),
        next_billing=monthly,
        next_renewal=monthly,
        payment=PaymentInfo(type="Visa", type_id="VIS", last_four="4242", expires_month=12, expires_year=2028),
        self_service_url="https://example.com/self-service",
    )


class Vendor:
    """A scripted `fetch`: answers the next value, or raises the next error, and counts the calls."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0
        self.during: Callable[[], None] | None = None

    def __call__(self):
        self.calls += 1
        if self.during is not None:
            during, self.during = self.during, None
            during()
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)
