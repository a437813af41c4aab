"""After an invalidation the next read asks the vendor, in every process, and an older answer cannot come back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from subscriptions.cleverbridge import Unavailable
from tests.cache.conftest import REDIS_URL, T0, Vendor, later, make_subscription

ID = 68574751


def down() -> Unavailable:
    return Unavailable("connection refused", method="getsubscription")


def test_an_invalidation_makes_the_next_read_ask_in_another_process(make_cache):
    reader, committer = make_cache(), make_cache()
    vendor = Vendor(make_subscription(quantity=10), make_subscription(quantity=25))
    reader.subscription(ID, fetch=vendor, now=T0)

    committer.invalidate(ID)
    read = reader.subscription(ID, fetch=vendor, now=later(1))

    assert vendor.calls == 2
    assert read.fresh and read.value.items[0].quantity == 25


def test_an_invalidated_entry_is_still_the_last_known_state(make_cache):
    cache = make_cache()
    cache.subscription(ID, fetch=Vendor(make_subscription()), now=T0)
    cache.invalidate(ID)

    read = cache.subscription(ID, fetch=Vendor(down()), now=later(1), fallback_on=(Unavailable,))

    assert read.fresh is False and read.fetched_at == T0


def test_a_read_under_way_during_an_invalidation_cannot_put_its_older_answer_back(make_cache):
    reader, committer = make_cache(), make_cache()
    before_commit = Vendor(make_subscription(quantity=10))
    # The vendor answered with the state before the commit; the commit and its invalidation land before we store.
    before_commit.during = lambda: committer.invalidate(ID)

    racing = reader.subscription(ID, fetch=before_commit, now=T0)
    after_commit = Vendor(make_subscription(quantity=25))
    next_read = make_cache().subscription(ID, fetch=after_commit, now=later(1))

    assert racing.value.items[0].quantity == 10
    assert after_commit.calls == 1
    assert next_read.value.items[0].quantity == 25


def test_a_list_read_under_way_during_an_invalidation_of_one_of_its_subscriptions_is_not_kept(make_cache):
    reader, committer = make_cache(), make_cache()
    old = Vendor([make_subscription(1), make_subscription(2, quantity=10)])
    old.during = lambda: committer.invalidate(2)
    reader.customer_subscriptions(4711, fetch=old, now=T0)

    new_list = Vendor([make_subscription(1), make_subscription(2, quantity=25)])
    listed = make_cache().customer_subscriptions(4711, fetch=new_list, now=later(1))
    single = Vendor(make_subscription(2, quantity=25))
    make_cache().subscription(2, fetch=single, now=later(2))

    assert new_list.calls == 1
    assert listed.value[1].items[0].quantity == 25
    assert single.calls == 0


def test_invalidating_a_subscription_drops_the_lists_that_hold_it(make_cache):
    cache = make_cache()
    vendor = Vendor([make_subscription(1), make_subscription(2)])
    cache.customer_subscriptions(4711, fetch=vendor, now=T0)
    make_cache().subscription(2, fetch=Vendor(make_subscription(2)), now=later(1), max_age=0)

    make_cache().invalidate(2)
    make_cache().subscription(2, fetch=Vendor(make_subscription(2)), now=later(2))
    cache.customer_subscriptions(4711, fetch=vendor, now=later(3))

    assert vendor.calls == 2


def test_invalidating_a_customer_drops_the_list_but_not_the_subscriptions(make_cache):
    cache = make_cache()
    vendor = Vendor([make_subscription(1)], [make_subscription(1), make_subscription(2)])
    cache.customer_subscriptions(4711, fetch=vendor, now=T0)

    make_cache().invalidate_customer(4711)
    single = Vendor(make_subscription(1))
    cache.subscription(1, fetch=single, now=later(1))
    listed = cache.customer_subscriptions(4711, fetch=vendor, now=later(2))

    assert single.calls == 0
    assert vendor.calls == 2 and [subscription.id for subscription in listed.value] == [1, 2]


def test_a_customer_invalidated_during_a_list_read_is_read_again(make_cache):
    reader = make_cache()
    vendor = Vendor([make_subscription(1)], [make_subscription(1), make_subscription(2)])
    vendor.during = lambda: make_cache().invalidate_customer(4711)
    reader.customer_subscriptions(4711, fetch=vendor, now=T0)

    listed = reader.customer_subscriptions(4711, fetch=vendor, now=later(1))

    assert vendor.calls == 2 and len(listed.value) == 2


def test_a_lost_mark_makes_its_entries_untrusted(make_cache):
    cache = make_cache()
    vendor = Vendor(make_subscription())
    cache.subscription(ID, fetch=vendor, now=T0)

    cache.cache.delete(cache._mark_key("subscription", ID))
    cache.subscription(ID, fetch=vendor, now=later(1))

    assert vendor.calls == 2


INVALIDATE_IN_ANOTHER_PROCESS = """
import sys
import django
django.setup()
from django.conf import settings
settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": sys.argv[1], "KEY_PREFIX": sys.argv[2]}}
from subscriptions import vendor_cache
vendor_cache.invalidate(int(sys.argv[3]))
"""


@pytest.mark.redis
@pytest.mark.parametrize("backend", ["redis"], indirect=True)
def test_an_invalidation_by_another_os_process_reaches_this_one(make_cache, cache_prefix):
    cache = make_cache()
    vendor = Vendor(make_subscription(quantity=10), make_subscription(quantity=25))
    cache.subscription(ID, fetch=vendor, now=T0)

    result = subprocess.run(
        [sys.executable, "-c", INVALIDATE_IN_ANOTHER_PROCESS, REDIS_URL, cache_prefix, str(ID)],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "selfservice.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    read = cache.subscription(ID, fetch=vendor, now=later(1))

    assert vendor.calls == 2 and read.value.items[0].quantity == 25
