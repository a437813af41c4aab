"""Fixtures for the client's unit tests."""

import httpx
import pytest

from subscriptions.cleverbridge import CleverbridgeClient
from tests.client.scripted import PASSWORD, USER, FakeSleep, Vendor


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def client_for(sleep):
    """Build a client against a scripted Vendor; never sleeps for real."""

    def build(vendor: Vendor, max_tries: int = 3) -> CleverbridgeClient:
        return CleverbridgeClient(
            base_url="https://vendor.test/",
            user=USER,
            password=PASSWORD,
            timeout=httpx.Timeout(1.0),
            max_tries=max_tries,
            transport=httpx.MockTransport(vendor),
            sleep=sleep,
        )

    return build
