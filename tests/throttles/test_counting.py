"""Counting is shared and atomic: two connections (two processes' worth) never let more through than the limit."""

from __future__ import annotations

import threading

import pytest
from django.core.cache.backends.redis import RedisCache

from subscriptions.throttles import Limit, throttle_hit
from tests.throttles.conftest import START

LINKS = Limit("test-links", 3, 15 * 60)


def test_two_connections_count_into_one_number(stores):
    _first, second = stores
    verdicts = [throttle_hit(limit=LINKS, subject="anna@example.com", store=store, now=START) for store in stores * 3]

    assert [verdict.allowed for verdict in verdicts] == [True, True, True, False, False, False]
    assert [verdict.count for verdict in verdicts] == [1, 2, 3, 4, 5, 6]
    assert throttle_hit(limit=LINKS, subject="anna@example.com", store=second, now=START + 1).allowed is False


def test_threads_on_two_connections_let_exactly_the_limit_through(stores):
    limit = Limit("test-flood", 20, 60)
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def hammer(store):
        start.wait()
        for _ in range(25):
            verdict = throttle_hit(limit=limit, subject="192.0.2.7", store=store, now=START)
            with lock:
                allowed.append(verdict.allowed)

    threads = [threading.Thread(target=hammer, args=(stores[number % 2],)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(allowed) == 200
    assert allowed.count(True) == 20


def test_subjects_and_scopes_are_counted_apart(stores):
    first, _ = stores
    for _ in range(3):
        throttle_hit(limit=LINKS, subject="anna@example.com", store=first, now=START)

    assert throttle_hit(limit=LINKS, subject="ben@example.com", store=first, now=START).allowed
    other_scope = Limit("test-other", 3, 15 * 60)
    assert throttle_hit(limit=other_scope, subject="anna@example.com", store=first, now=START).allowed


def test_the_next_window_starts_afresh_and_retry_after_says_when(stores):
    first, second = stores
    for _ in range(3):
        throttle_hit(limit=LINKS, subject="anna@example.com", store=first, now=START)

    refused = throttle_hit(limit=LINKS, subject="anna@example.com", store=second, now=START + 10 * 60 + 0.5)
    assert not refused.allowed
    assert refused.retry_after == 5 * 60
    assert refused.retry_after_minutes == 5

    last_second = throttle_hit(limit=LINKS, subject="anna@example.com", store=second, now=START + 15 * 60 - 0.5)
    assert (last_second.allowed, last_second.retry_after, last_second.retry_after_minutes) == (False, 1, 1)

    again = throttle_hit(limit=LINKS, subject="anna@example.com", store=second, now=START + 15 * 60)
    assert (again.allowed, again.count) == (True, 1)


@pytest.mark.parametrize("stores", [pytest.param("redis", marks=pytest.mark.redis)], indirect=True)
def test_a_counter_expires_in_redis(stores):
    """Redis only: local memory keeps no expiry time that could be read back."""
    first, _ = stores
    assert isinstance(first, RedisCache)
    throttle_hit(limit=LINKS, subject="anna@example.com", store=first, now=START)
    client = first._cache.get_client(None)
    (key,) = list(client.scan_iter(match=f"{first.key_prefix}:*"))
    assert 0 < client.ttl(key) <= 2 * LINKS.seconds
