"""The guide's customer as a sandbox scenario, and the sandbox's control API through Django's test client."""

import base64
import copy
import json

from django.test import Client

SUBSCRIPTION_ID = 68574751
CUSTOMER_ID = 159215775
EMAIL = "anna.schmidt@example.com"
REFERENCE_ID = "skTI6EGSpGU1kODfm86bGsERjB5DGORw8Xj8wTGA"
CLOUDIFY_M = 293160
BACKUP_ADDON = 293170
GUIDE_NOW = "2026-04-24T16:01:10Z"

SCENARIO = {
    "clock": GUIDE_NOW,
    "products": [
        {
            "id": CLOUDIFY_M,
            "name": "Cloudify M",
            "interval": "P1M",
            "prices": {"USD": [{"from": 1, "unit_gross": "80.00"}]},
        },
        {
            "id": BACKUP_ADDON,
            "name": "Cloudify Backup",
            "interval": "P1M",
            "prices": {"USD": [{"from": 1, "unit_gross": "20.00"}]},
        },
    ],
    "customers": [
        {
            "id": CUSTOMER_ID,
            "email": EMAIL,
            "reference_id": REFERENCE_ID,
            "country": "DE",
            "vat_rate": "0.19",
            "locale": "de",
        }
    ],
    "subscriptions": [
        {
            "id": SUBSCRIPTION_ID,
            "customer_id": CUSTOMER_ID,
            "currency": "USD",
            "start": "2026-04-23T15:57:14.106747Z",
            "status": 1,
            "renewal_type": "Automatic",
            "payment": {"type": "Visa", "type_id": "CCA_VIS", "last_four": "765T", "expires": "2027-12"},
            "items": [{"product_id": CLOUDIFY_M, "quantity": 10}],
        }
    ],
}

_AUTH = {"Authorization": "Basic " + base64.b64encode(b"sandbox:sandbox").decode()}


class Sandbox:
    """Drives the sandbox's control API; every call must succeed, or the test stops with the sandbox's answer."""

    def __init__(self):
        self.http = Client()

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self.http.generic(
            method,
            f"/sandbox/control/{path}",
            data=json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers=_AUTH,
        )
        assert response.status_code == 200, (path, response.status_code, response.content)
        return response.json()

    def load(self, scenario: dict | None = None) -> dict:
        return self._call("POST", "scenario?reset=1", copy.deepcopy(scenario or SCENARIO))

    def set_clock(self, now: str) -> dict:
        return self._call("POST", "clock", {"now": now})

    def fault(self, mode: str, *, method: str = "increasesubscriptionitemquantity", **options) -> dict:
        return self._call("POST", "faults", {"method": method, "mode": mode, "count": 1, **options})

    def purchases(self) -> list[dict]:
        return self._call("GET", f"purchases?subscription_id={SUBSCRIPTION_ID}")["Purchases"]

    def charges(self) -> list[dict]:
        """Purchases made by changes (the scenario's initial order excluded)."""
        return [purchase for purchase in self.purchases() if purchase["Category"] == "Alignment"]

    def emails(self) -> list[dict]:
        return self._call("GET", f"emails?subscription_id={SUBSCRIPTION_ID}")["Emails"]
