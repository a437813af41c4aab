"""What is stored: JSON whose shape this code controls; anything else is a miss, never a wrong value."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from subscriptions import vendor_cache
from subscriptions.vendor_cache import subscription_from_dict, subscription_to_dict
from tests.cache.conftest import T0, Vendor, later, make_subscription, prices

ID = 68574751


def test_money_and_times_come_back_exactly(make_cache):
    cache = make_cache()
    original = replace(
        make_subscription(),
        next_billing=prices("1159.89", "974.70", "185.19"),
        next_renewal=prices("2000.00", "1680.6722689075630252100840336", "1E+2"),
        start=datetime(2026, 4, 24, 16, 1, 10, 344357, tzinfo=UTC),
        next_renewal_date=datetime(2027, 1, 23, 10, 30, 0, 1, tzinfo=timezone(timedelta(hours=2))),
        payment=None,
    )
    cache.subscription(ID, fetch=Vendor(original), now=T0)

    read = make_cache().subscription(ID, fetch=Vendor(ValueError("must not be asked")), now=later(1))

    assert read.value == original
    assert str(read.value.next_billing.net) == "974.70"
    assert str(read.value.next_renewal.net) == "1680.6722689075630252100840336"
    assert str(read.value.next_renewal.vat) == "1E+2"
    assert read.value.next_renewal_date.utcoffset() == timedelta(hours=2)
    assert read.value.start.microsecond == 344357
    assert isinstance(read.value.items, tuple)
    assert read.fetched_at == T0 and read.fetched_at.tzinfo is not None


def test_the_dict_form_round_trips_and_is_plain_json():
    original = make_subscription()
    data = subscription_to_dict(original)

    assert subscription_from_dict(json.loads(json.dumps(data))) == original
    assert data["next_billing"]["gross"] == "800.00"


def test_a_naive_time_is_never_stored():
    naive = replace(make_subscription(), start=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        subscription_to_dict(naive)


def test_another_schema_version_is_a_miss(make_cache, monkeypatch):
    make_cache().subscription(ID, fetch=Vendor(make_subscription(quantity=10)), now=T0)
    monkeypatch.setattr(vendor_cache, "SCHEMA_VERSION", vendor_cache.SCHEMA_VERSION + 1)
    vendor = Vendor(make_subscription(quantity=25))

    read = make_cache().subscription(ID, fetch=vendor, now=later(1))

    assert vendor.calls == 1 and read.value.items[0].quantity == 25


def test_another_shape_of_subscription_is_another_schema(monkeypatch):
    before = vendor_cache.schema_tag()
    monkeypatch.setattr(vendor_cache, "_shape", lambda kind: "Subscription(id:int)")

    assert vendor_cache.schema_tag() != before


@pytest.mark.parametrize(
    "stored",
    [
        "not json",
        json.dumps({"schema": "v0-old", "fetched_at": T0.isoformat(), "epoch": "x", "subscription": {}}),
        json.dumps({"fetched_at": T0.isoformat()}),
        None,
    ],
    ids=["garbage", "other-schema-inside", "incomplete", "none"],
)
def test_an_unreadable_entry_is_a_miss(make_cache, stored):
    cache = make_cache()
    cache.subscription(ID, fetch=Vendor(make_subscription()), now=T0)
    cache.cache.set(cache._entry_key("subscription", ID), stored)
    vendor = Vendor(make_subscription(quantity=25))

    read = cache.subscription(ID, fetch=vendor, now=later(1))

    assert vendor.calls == 1 and read.value.items[0].quantity == 25


def test_an_entry_with_a_broken_subscription_is_a_miss(make_cache):
    cache = make_cache()
    cache.subscription(ID, fetch=Vendor(make_subscription()), now=T0)
    key = cache._entry_key("subscription", ID)
    stored = json.loads(cache.cache.get(key))
    stored["subscription"]["next_billing"]["gross"] = "eight hundred"
    cache.cache.set(key, json.dumps(stored))
    vendor = Vendor(make_subscription())

    cache.subscription(ID, fetch=vendor, now=later(1))

    assert vendor.calls == 1


def test_decimal_money_stays_decimal():
    data = subscription_to_dict(make_subscription())
    assert subscription_from_dict(data).next_billing.gross == Decimal("800.00")
