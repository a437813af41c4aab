"""The vendor side in tests: the sandbox's control API, through Django's test client.

One helper for every suite that puts data into the sandbox, moves its clock, plans faults or reads
what it charged and mailed. Every call must succeed, or the test stops with the sandbox's answer.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.test import Client

SANDBOX_AUTH = "Basic " + base64.b64encode(b"sandbox:sandbox").decode()


class Vendor:
    def __init__(self) -> None:
        self.client = Client()

    def _post(self, path: str, payload: Any) -> dict[str, Any]:
        response = self.client.post(
            f"/sandbox/control/{path}",
            json.dumps(payload),
            content_type="application/json",
            HTTP_AUTHORIZATION=SANDBOX_AUTH,
        )
        assert response.status_code == 200, (path, response.status_code, response.content)
        return response.json()

    def _get(self, path: str) -> dict[str, Any]:
        response = self.client.get(f"/sandbox/control/{path}", HTTP_AUTHORIZATION=SANDBOX_AUTH)
        assert response.status_code == 200, (path, response.status_code, response.content)
        return response.json()

    def load(self, scenario: dict[str, Any], *, reset: bool = False) -> dict[str, Any]:
        return self._post("scenario?reset=1" if reset else "scenario", scenario)

    def clock(self, now: str) -> dict[str, Any]:
        return self._post("clock", {"now": now})

    def fault(self, method: str, *, mode: str = "error", status: int = 500, count: int = 1, **extra: Any) -> dict:
        return self._post("faults", {"method": method, "mode": mode, "status": status, "count": count, **extra})

    def all_purchases(self, subscription_id: int) -> list[dict[str, Any]]:
        return self._get(f"purchases?subscription_id={subscription_id}")["Purchases"]

    def purchases(self, subscription_id: int) -> list[dict[str, Any]]:
        """The charges made by changes (the scenario's initial order and renewals are not counted)."""
        return [p for p in self.all_purchases(subscription_id) if p["Category"] == "Alignment"]

    def money_back(self, purchase_id: int, kind: str = "refund") -> dict[str, Any]:
        """The vendor refunds a purchase ("refund") or its payment is charged back ("chargeback"): it notifies."""
        return self._post(f"purchases/{purchase_id}/{kind}", {})["Notification"]

    def notifications(self, subscription_id: int) -> list[dict[str, Any]]:
        """Every notification the sandbox planned for the subscription, newest first, with its body."""
        return self._get(f"notifications?subscription_id={subscription_id}")["Notifications"]

    def emails(self, subscription_id: int) -> list[dict[str, Any]]:
        return self._get(f"emails?subscription_id={subscription_id}")["Emails"]

    def subscription(self, subscription_id: int) -> dict[str, Any]:
        response = self.client.get(
            f"/sandbox/api/subscription/getsubscription?subscriptionId=S{subscription_id}",
            HTTP_AUTHORIZATION=SANDBOX_AUTH,
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code == 200, response.content
        return response.json()["Subscription"]

    def current_items(self, subscription_id: int) -> dict[int, dict[str, Any]]:
        """Current items by product id."""
        items = self.subscription(subscription_id)["Items"]
        return {item["ProductId"]: item for item in items if item.get("IsCurrent", True)}
