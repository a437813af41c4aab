"""After the vendor's 429 nobody calls it until the block is over."""

from datetime import UTC, datetime, timedelta

import pytest

from subscriptions.cleverbridge.budget import VendorBlocked
from tests.budget.clock import START


def test_a_block_refuses_every_class_until_it_ends_by_itself(make_budget, clock):
    budget = make_budget()

    until = budget.blocked(60)

    assert until == datetime.fromtimestamp(START, tz=UTC) + timedelta(seconds=60)
    for kind in ("commit", "preview", "read", "anonymous"):
        with pytest.raises(VendorBlocked) as refused:
            budget.acquire(kind=kind)
        assert refused.value.until == until
        assert refused.value.seconds == pytest.approx(60)
    assert clock() == START, "a blocked caller does not wait for the block"
    assert budget.state().blocked_until == until

    clock.advance(60)

    budget.acquire(kind="read", max_wait=0)
    assert budget.state().blocked_until is None


def test_a_shorter_block_does_not_shorten_a_longer_one(make_budget, clock):
    budget = make_budget()
    until = budget.blocked(60)

    assert budget.blocked(5) == until


@pytest.mark.redis
def test_another_process_honours_the_block_without_any_grant(make_shared_budget, clock):
    told, other = make_shared_budget(), make_shared_budget()
    before = other.state()

    until = told.blocked(60)

    clock.advance(15)
    with pytest.raises(VendorBlocked) as refused:
        other.acquire(kind="commit")
    assert refused.value.until == until
    assert refused.value.seconds == pytest.approx(45)
    after = other.state()
    assert (after.tokens, after.in_flight) == (before.tokens, before.in_flight) == (4.0, 0)
    clock.advance(45)
    other.acquire(kind="commit", max_wait=0)
