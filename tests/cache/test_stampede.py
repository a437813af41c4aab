"""When many requests miss the same entry at once, one asks the vendor and the others wait for its answer."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import caches

from subscriptions.cleverbridge import Unavailable
from tests.cache.conftest import T0, Sleeps, Vendor, later, make_subscription

ID = 68574751
SAFETY_SECONDS = 10  # only so that a broken lock fails the test instead of hanging it


class Stampede:
    """Ten requests at once; the vendor answers only when all the others are waiting for it."""

    def __init__(self, requests: int = 10):
        self.requests = requests
        self.calls = 0
        self.waiting: set[int] = set()
        self.lock = threading.Lock()
        self.all_waiting = threading.Event()
        self.answered = threading.Event()

    def fetch(self):
        with self.lock:
            self.calls += 1
        self.all_waiting.wait(SAFETY_SECONDS)
        self.answered.set()
        return make_subscription()

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.waiting.add(threading.get_ident())
            if len(self.waiting) == self.requests - 1:
                self.all_waiting.set()
        self.answered.wait(SAFETY_SECONDS)


def test_ten_requests_missing_at_once_make_one_call(make_cache):
    stampede = Stampede()
    start = threading.Barrier(stampede.requests)
    results = []

    def request() -> None:
        # Each thread its own connection, as each request in each process has.
        cache = make_cache(cache=caches.create_connection("default"), sleep=stampede.sleep, wait_seconds=1000.0)
        start.wait(SAFETY_SECONDS)
        results.append(cache.subscription(ID, fetch=stampede.fetch, now=T0))

    threads = [threading.Thread(target=request) for _ in range(stampede.requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SAFETY_SECONDS * 2)

    assert stampede.calls == 1
    assert len(results) == stampede.requests
    assert all(read.fresh and read.value == make_subscription() for read in results)


def test_a_waiting_request_shows_the_last_known_state_when_the_refresh_takes_too_long(make_cache):
    cache = make_cache()
    cache.subscription(ID, fetch=Vendor(make_subscription(quantity=10)), now=T0)
    holder = make_cache()
    holder.cache.add(holder._lock_key("subscription", ID), "another request", timeout=60)
    sleeps = Sleeps()
    vendor = Vendor(make_subscription(quantity=25))

    read = make_cache(sleep=sleeps, wait_seconds=1.0, poll_seconds=0.25).subscription(ID, fetch=vendor, now=later(120))

    assert vendor.calls == 0
    assert sleeps.count == 4
    assert read.fresh is False and read.fetched_at == T0


def test_a_waiting_request_with_nothing_known_asks_itself_after_the_wait(make_cache):
    holder = make_cache()
    holder.cache.add(holder._lock_key("subscription", ID), "another request", timeout=60)
    vendor = Vendor(make_subscription())

    read = make_cache(wait_seconds=1.0, poll_seconds=0.25).subscription(ID, fetch=vendor, now=T0)

    assert vendor.calls == 1 and read.fresh


def test_a_failed_refresh_lets_a_waiting_request_take_over(make_cache):
    holder = make_cache()
    lock_key = holder._lock_key("subscription", ID)
    holder.cache.add(lock_key, "another request", timeout=60)
    vendor = Vendor(make_subscription())
    # The other request gives up (its call failed) while this one waits.
    sleeps = Sleeps(then=lambda: holder.cache.delete(lock_key))

    read = make_cache(sleep=sleeps).subscription(ID, fetch=vendor, now=T0)

    assert sleeps.count == 1 and vendor.calls == 1 and read.fresh


def test_the_lock_is_given_back_when_the_call_fails(make_cache):
    cache = make_cache()
    vendor = Vendor(Unavailable("down", method="getsubscription"), make_subscription())
    sleeps = Sleeps()

    with pytest.raises(Unavailable):
        cache.subscription(ID, fetch=vendor, now=T0)
    read = make_cache(sleep=sleeps).subscription(ID, fetch=vendor, now=later(1))

    assert sleeps.count == 0 and vendor.calls == 2 and read.fresh
