"""Fixtures for the client's unit tests: one fake clock for the client's deadlines, its pauses and its budget."""

import httpx
import pytest

from subscriptions.cleverbridge import CleverbridgeClient
from subscriptions.cleverbridge.budget import BudgetConfig, VendorBudget
from subscriptions.cleverbridge.client import Deadlines
from tests.budget.clock import FakeClock
from tests.client.scripted import PASSWORD, USER, FakeSleep, Vendor


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep(clock) -> FakeSleep:
    return FakeSleep(clock)


@pytest.fixture
def budget(clock) -> VendorBudget:
    """The budget in memory with the default numbers, on the test's clock."""
    return VendorBudget(BudgetConfig(), clock=clock, sleep=clock.sleep)


@pytest.fixture
def client_for(sleep, clock, budget):
    """Build a client against a scripted Vendor; never sleeps for real."""

    def build(
        vendor: Vendor,
        max_tries: int = 3,
        *,
        timeout: httpx.Timeout | None = None,
        deadlines: Deadlines | None = None,
    ) -> CleverbridgeClient:
        return CleverbridgeClient(
            base_url="https://vendor.test/",
            user=USER,
            password=PASSWORD,
            timeout=timeout or httpx.Timeout(1.0),
            budget=budget,
            max_tries=max_tries,
            deadlines=deadlines or Deadlines(),
            transport=httpx.MockTransport(vendor),
            sleep=sleep,
            clock=clock,
        )

    return build
