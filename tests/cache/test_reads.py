"""Fresh entries spare the vendor a call; older ones are shown as last known only when the vendor may not be called."""

from __future__ import annotations

import pytest

from subscriptions.cleverbridge import Rejected, Unavailable
from subscriptions.cleverbridge.budget import BudgetExhausted, Kind, VendorBlocked
from tests.cache.conftest import FRESH, KEEP, T0, Vendor, later, make_subscription

FALLBACK = (Unavailable, BudgetExhausted, VendorBlocked)
ID = 68574751


def down() -> Unavailable:
    return Unavailable("connection refused", method="getsubscription")


def test_a_fresh_entry_is_served_without_asking_the_vendor(make_cache):
    cache = make_cache()
    vendor = Vendor(make_subscription())

    first = cache.subscription(ID, fetch=vendor, now=T0)
    again = make_cache().subscription(ID, fetch=vendor, now=later(FRESH))

    assert vendor.calls == 1
    assert first.fresh and again.fresh
    assert again.value == make_subscription()
    assert again.fetched_at == T0


def test_an_entry_past_the_bound_is_read_again(make_cache):
    cache = make_cache()
    vendor = Vendor(make_subscription(quantity=10), make_subscription(quantity=25))
    cache.subscription(ID, fetch=vendor, now=T0)

    read = cache.subscription(ID, fetch=vendor, now=later(FRESH + 0.001))

    assert vendor.calls == 2
    assert read.fresh
    assert read.value.items[0].quantity == 25
    assert read.fetched_at == later(FRESH + 0.001)


def test_a_smaller_max_age_asks_sooner(make_cache):
    cache = make_cache()
    vendor = Vendor(make_subscription())
    cache.subscription(ID, fetch=vendor, now=T0)

    cache.subscription(ID, fetch=vendor, now=later(11), max_age=10)

    assert vendor.calls == 2


@pytest.mark.parametrize(
    "error",
    [
        down(),
        BudgetExhausted(Kind.READ, 0.8),
        VendorBlocked(later(120)),
    ],
    ids=["unavailable", "budget-exhausted", "blocked"],
)
def test_when_the_vendor_may_not_be_called_the_last_known_state_is_shown_as_such(make_cache, error):
    cache = make_cache()
    cache.subscription(ID, fetch=Vendor(make_subscription()), now=T0)

    read = make_cache().subscription(ID, fetch=Vendor(error), now=later(3600), fallback_on=FALLBACK)

    assert read.fresh is False
    assert read.fetched_at == T0
    assert read.value == make_subscription()


def test_with_nothing_known_the_error_reaches_the_caller(make_cache):
    with pytest.raises(Unavailable):
        make_cache().subscription(ID, fetch=Vendor(down()), now=T0, fallback_on=FALLBACK)


def test_only_the_errors_the_caller_names_fall_back(make_cache):
    cache = make_cache()
    cache.subscription(ID, fetch=Vendor(make_subscription()), now=T0)
    rejected = Rejected("Subscription not found", method="getsubscription", status=404)

    with pytest.raises(Rejected):
        cache.subscription(ID, fetch=Vendor(rejected), now=later(3600), fallback_on=FALLBACK)
    with pytest.raises(Unavailable):
        cache.subscription(ID, fetch=Vendor(down()), now=later(3600))


def test_a_forced_read_always_asks_stores_and_never_falls_back(make_cache):
    cache = make_cache()
    vendor = Vendor(make_subscription(quantity=10), make_subscription(quantity=25), down())
    cache.subscription(ID, fetch=vendor, now=T0)

    forced = cache.subscription(ID, fetch=vendor, now=later(1), max_age=0)
    after = make_cache().subscription(ID, fetch=vendor, now=later(2))

    assert vendor.calls == 2
    assert forced.fresh and forced.value.items[0].quantity == 25
    assert after.value.items[0].quantity == 25 and after.fetched_at == later(1)
    with pytest.raises(Unavailable):
        cache.subscription(ID, fetch=vendor, now=later(3), max_age=0, fallback_on=FALLBACK)


def test_an_entry_older_than_keep_is_gone(make_cache):
    cache = make_cache()
    cache.subscription(ID, fetch=Vendor(make_subscription()), now=T0)

    kept = cache.subscription(ID, fetch=Vendor(down()), now=later(KEEP), fallback_on=FALLBACK)
    assert kept.fresh is False and kept.fetched_at == T0

    with pytest.raises(Unavailable):
        cache.subscription(ID, fetch=Vendor(down()), now=later(KEEP + 0.001), fallback_on=FALLBACK)


def test_a_naive_time_is_refused(make_cache):
    with pytest.raises(ValueError, match="timezone-aware"):
        make_cache().subscription(ID, fetch=Vendor(make_subscription()), now=T0.replace(tzinfo=None))


class TestCustomerList:
    def test_a_list_read_warms_every_subscription_on_it(self, make_cache):
        cache = make_cache()
        first, second = make_subscription(68574751), make_subscription(68841753, quantity=1)
        vendor = Vendor([first, second])

        listed = cache.customer_subscriptions(4711, fetch=vendor, now=T0)
        single = make_cache().subscription(68841753, fetch=Vendor(down()), now=later(30))
        again = make_cache().customer_subscriptions(4711, fetch=vendor, now=later(FRESH))

        assert listed.value == (first, second) and listed.fresh
        assert single.fresh and single.value == second and single.fetched_at == T0
        assert again.fresh and again.value == (first, second)
        assert vendor.calls == 1

    def test_a_stale_list_is_read_again_and_shown_as_last_known_when_it_cannot_be(self, make_cache):
        cache = make_cache()
        subscriptions = [make_subscription(68574751), make_subscription(68841753)]
        cache.customer_subscriptions(4711, fetch=Vendor(subscriptions), now=T0)
        vendor = Vendor(down())

        read = cache.customer_subscriptions(4711, fetch=vendor, now=later(FRESH + 1), fallback_on=FALLBACK)

        assert vendor.calls == 1
        assert read.fresh is False and read.fetched_at == T0 and read.value == tuple(subscriptions)

    def test_an_empty_list_is_kept_too(self, make_cache):
        cache = make_cache()
        vendor = Vendor([])
        cache.customer_subscriptions(4711, fetch=vendor, now=T0)

        read = cache.customer_subscriptions(4711, fetch=vendor, now=later(1))

        assert read.value == () and read.fresh and vendor.calls == 1

    def test_a_list_whose_subscription_was_forgotten_is_not_known(self, make_cache):
        cache = make_cache()
        cache.customer_subscriptions(4711, fetch=Vendor([make_subscription(1), make_subscription(2)]), now=T0)
        cache.cache.delete(cache._entry_key("subscription", 2))

        with pytest.raises(Unavailable):
            cache.customer_subscriptions(4711, fetch=Vendor(down()), now=later(1), fallback_on=FALLBACK)


def test_an_id_in_another_form_is_refused(make_cache):
    with pytest.raises(ValueError, match="numbers"):
        make_cache().subscription("S68574751", fetch=Vendor(make_subscription()), now=T0)


def test_an_answer_about_another_subscription_is_not_kept(make_cache):
    cache = make_cache()
    vendor = Vendor(make_subscription(68841753))

    cache.subscription(ID, fetch=vendor, now=T0)
    cache.subscription(ID, fetch=vendor, now=later(1))

    assert vendor.calls == 2
