"""A fake clock that every budget in a test reads, and budgets on both stores: memory and the real Redis.

The Redis is `TEST_REDIS_URL` (by default DB 7 of the local server); each test uses a key prefix of its own.
"""

import os
import uuid

import pytest
import redis

from subscriptions.cleverbridge.budget import BudgetConfig, VendorBudget, redis_client_for
from tests.budget.clock import FakeClock

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _redis_answers() -> bool:
    try:
        return bool(redis_client_for(REDIS_URL).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own, deleted afterwards."""
    if not _redis_answers():
        pytest.skip(f"Redis is not answering at {REDIS_URL}; start redis-server to run the shared-budget tests")
    prefix = f"test-vendor-budget:{uuid.uuid4().hex}:"
    yield prefix
    client = redis_client_for(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(params=["local", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def make_budget(request, backend, clock):
    """Budgets on this test's store; on Redis each one has its own connection, as another process would."""
    prefix = request.getfixturevalue("redis_prefix") if backend == "redis" else ""

    def make(**overrides) -> VendorBudget:
        if backend == "redis":
            overrides = {"redis_url": REDIS_URL, "key_prefix": prefix, **overrides}
        return VendorBudget(BudgetConfig(**overrides), clock=clock, sleep=clock.sleep)

    return make


@pytest.fixture
def make_shared_budget(redis_prefix, clock):
    """Budgets on the real Redis only: one per simulated process."""

    def make(**overrides) -> VendorBudget:
        config = BudgetConfig(**{"redis_url": REDIS_URL, "key_prefix": redis_prefix, **overrides})
        return VendorBudget(config, clock=clock, sleep=clock.sleep)

    return make
