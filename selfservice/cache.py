"""Django's Redis cache, degrading instead of failing when Redis is away.

Everything kept in the shared cache can be done without (cached vendor reads, the catalog snapshot, throttle
counters, locks against a stampede), so a Redis outage must cost speed, never a page: a read is a miss, a write is
dropped, `add` succeeds (so the caller goes on to do the work itself) and `incr` counts from `delta` (so throttles let
requests through rather than refusing everyone). After a failure Redis is left alone for `RETRY_SECONDS`, so a dead
server costs one short time-out every few seconds instead of one per call; the outage and the recovery are logged
once each. The vendor budget keeps its own connection and falls back to a conservative local share
(docs/vendor-budget.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 0.25
SOCKET_TIMEOUT_SECONDS = 0.5


def clock() -> float:
    """The clock outages are timed by; tests replace it instead of waiting."""
    return time.monotonic()


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]):
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT_SECONDS)
        super().__init__(server, {**params, "OPTIONS": options})
        self._lock = threading.Lock()
        self._away_until: float | None = None

    def _guarded(self, what: str, fallback: T, call: Callable[[], T]) -> T:
        with self._lock:
            away = self._away_until is not None and clock() < self._away_until
        if away:
            return fallback
        try:
            value = call()
        except RedisError as exc:
            with self._lock:
                first = self._away_until is None
                self._away_until = clock() + RETRY_SECONDS
            if first:
                logger.warning("the shared cache is away (%s on %s); going on without it", type(exc).__name__, what)
            return fallback
        with self._lock:
            back = self._away_until is not None
            self._away_until = None
        if back:
            logger.warning("the shared cache answers again")
        return value

    def get(self, key, default=None, version=None):
        return self._guarded("get", default, lambda: super(ResilientRedisCache, self).get(key, default, version))

    def get_many(self, keys, version=None):
        return self._guarded("get_many", {}, lambda: super(ResilientRedisCache, self).get_many(keys, version))

    def has_key(self, key, version=None):
        return self._guarded("has_key", False, lambda: super(ResilientRedisCache, self).has_key(key, version))

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._guarded("set", None, lambda: super(ResilientRedisCache, self).set(key, value, timeout, version))

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(
            "set_many", list(data), lambda: super(ResilientRedisCache, self).set_many(data, timeout, version)
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded("add", True, lambda: super(ResilientRedisCache, self).add(key, value, timeout, version))

    def incr(self, key, delta=1, version=None):
        return self._guarded("incr", delta, lambda: super(ResilientRedisCache, self).incr(key, delta, version))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded("touch", False, lambda: super(ResilientRedisCache, self).touch(key, timeout, version))

    def delete(self, key, version=None):
        return self._guarded("delete", False, lambda: super(ResilientRedisCache, self).delete(key, version))

    def delete_many(self, keys, version=None):
        self._guarded("delete_many", None, lambda: super(ResilientRedisCache, self).delete_many(keys, version))

    def clear(self):
        return self._guarded("clear", False, lambda: super(ResilientRedisCache, self).clear())
