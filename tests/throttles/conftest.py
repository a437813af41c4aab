"""Two cache connections counting into one store (local memory, and the real Redis in DB 2), and a vendor that
counts the calls it gets."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from tests.cast import *  # noqa: F403
from tests.conftest import InProcessTransport

REDIS_URL = "redis://127.0.0.1:6379/2"
START = 1_800_000_000.0  # a window boundary for every window length used here (divisible by 900 and 60)


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["locmem", pytest.param("redis", marks=pytest.mark.redis)])
def stores(request) -> Iterator[tuple[BaseCache, BaseCache]]:
    """Two separate cache connections to one store, as two worker processes would hold them."""
    prefix = f"test-throttle-{uuid.uuid4().hex}"
    if request.param == "locmem":
        yield LocMemCache(prefix, {}), LocMemCache(prefix, {})
        return
    if not _redis_answers():
        pytest.skip(f"Redis is not answering at {REDIS_URL}; start redis-server to run the shared-throttle tests")
    first, second = (RedisCache(REDIS_URL, {"KEY_PREFIX": prefix}) for _ in range(2))
    assert first._cache.get_client(None) is not second._cache.get_client(None)
    yield first, second
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    for store in (first, second):
        store.close()


@pytest.fixture
def vendor_calls(monkeypatch) -> list[str]:
    """Every HTTP call the product makes to the vendor, by path."""
    calls: list[str] = []

    class Counting(InProcessTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            calls.append(request.url.path)
            return super().handle_request(request)

    monkeypatch.setattr("subscriptions.cleverbridge.client.make_transport", Counting)
    return calls


@pytest.fixture
def now(monkeypatch) -> list[float]:
    """The throttles' clock, at a window's start; `now[0] += seconds` moves it."""
    moment = [START]
    monkeypatch.setattr("subscriptions.throttles.clock", lambda: moment[0])
    return moment
