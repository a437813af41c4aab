"""The guide's customer as a sandbox scenario, and the sandbox's control API through Django's test client."""

import copy

from tests.vendor import Vendor

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


class Sandbox(Vendor):
    """The shared vendor helper, bound to the contract tests' one subscription."""

    def load(self, scenario: dict | None = None) -> dict:
        return super().load(copy.deepcopy(scenario or SCENARIO), reset=True)

    def set_clock(self, now: str) -> dict:
        return self.clock(now)

    def fault(self, mode: str, *, method: str = "increasesubscriptionitemquantity", **options) -> dict:
        return super().fault(method, mode=mode, **options)

    def charges(self) -> list[dict]:
        """Purchases made by changes (the scenario's initial order excluded)."""
        return self.purchases(SUBSCRIPTION_ID)

    def all_charges(self) -> list[dict]:
        return self.all_purchases(SUBSCRIPTION_ID)
