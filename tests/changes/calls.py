"""Counting the product's calls to the vendor: the in-process sandbox transport, with a record of each request.

`vendor_calls` (a fixture; import it into the test module) routes the client through a transport that records the
vendor method and the subscription or customer it was about, then hands the request to the sandbox as usual.
Only the product's calls are counted: the sandbox's own notifications to the product go another way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import InProcessTransport


@dataclass(frozen=True)
class Call:
    method: str
    about: str


class VendorCalls:
    def __init__(self) -> None:
        self.made: list[Call] = []

    def record(self, request: httpx.Request) -> None:
        method = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        params = request.url.params
        about = params.get("subscriptionId") or params.get("customerId") or params.get("customerEmail") or ""
        if request.method == "POST":
            about = str(json.loads(request.read() or b"{}").get("SubscriptionId", ""))
        self.made.append(Call(method, about))

    def methods(self) -> list[str]:
        return [call.method for call in self.made]

    def about(self, subscription_id: int) -> list[Call]:
        return [call for call in self.made if call.about == f"S{subscription_id}"]

    def clear(self) -> None:
        self.made.clear()

    def __len__(self) -> int:
        return len(self.made)


class CountingTransport(InProcessTransport):
    def __init__(self, calls: VendorCalls) -> None:
        self.calls = calls

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.record(request)
        return super().handle_request(request)


@pytest.fixture
def vendor_calls(monkeypatch) -> VendorCalls:
    calls = VendorCalls()
    monkeypatch.setattr("subscriptions.cleverbridge.client.make_transport", lambda: CountingTransport(calls))
    return calls
