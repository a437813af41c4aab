"""The change flows' world: the demo catalog, the guide's customer with her subscriptions, the sandbox."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from subscriptions.access import CUSTOMER_SESSION_KEY
from subscriptions.models import Customer
from tests.vendor import Vendor

GUIDE_NOW = "2026-04-24T16:01:10Z"
COTERM_NOW = "2026-06-18T10:28:42.344357Z"

ANNA_ID = 159215775
OTTO_ID = 159215790
MONTHLY = 68574751  # Cloudify M, 10 seats at 80.00 a month
YEARLY = 68841753  # Cloudify Storage A, 1 seat at 1200.00 a year (600.00 from the second)
DEACTIVATED = 68574799  # Anna's, status 2
OTTOS = 68574800  # another customer's

CLOUDIFY_M = 293160
BACKUP = 293161
PRIORITY_SUPPORT = 293162
STORAGE_A = 294835
STORAGE_ENCRYPTION = 294836

PAYMENT = {"type": "Visa", "type_id": "CCA_VIS", "last_four": "765T", "expires": "2027-12"}

SCENARIO: dict[str, Any] = {
    "clock": GUIDE_NOW,
    "products": [
        {
            "id": CLOUDIFY_M,
            "name": "Cloudify M",
            "interval": "P1M",
            "prices": {"USD": [{"from": 1, "unit_gross": "80.00"}]},
        },
        {
            "id": BACKUP,
            "name": "Cloudify Backup",
            "interval": "P1M",
            "prices": {"USD": [{"from": 1, "unit_gross": "15.00"}]},
        },
        {
            "id": PRIORITY_SUPPORT,
            "name": "Cloudify Priority Support",
            "interval": "P1M",
            "prices": {"USD": [{"from": 1, "unit_gross": "25.00"}]},
        },
        {
            "id": STORAGE_A,
            "name": "Cloudify Storage A",
            "interval": "P1Y",
            "prices": {"USD": [{"from": 1, "unit_gross": "1200.00"}, {"from": 2, "unit_gross": "600.00"}]},
        },
        {
            "id": STORAGE_ENCRYPTION,
            "name": "Cloudify Storage Encryption",
            "interval": "P1Y",
            "prices": {"USD": [{"from": 1, "unit_gross": "120.00"}]},
        },
    ],
    "customers": [
        {
            "id": ANNA_ID,
            "email": "anna.schmidt@example.com",
            "reference_id": "skTI6EGSpGU1kODfm86bGsERjB5DGORw8Xj8wTGA",
            "country": "DE",
            "vat_rate": "0.19",
            "locale": "de",
        },
        {"id": OTTO_ID, "email": "otto@example.com", "reference_id": "otto", "country": "AT", "vat_rate": "0.20"},
    ],
    "subscriptions": [
        {
            "id": MONTHLY,
            "customer_id": ANNA_ID,
            "currency": "USD",
            "start": "2026-04-23T15:57:14.106747Z",
            "status": 1,
            "renewal_type": "Automatic",
            "payment": PAYMENT,
            "items": [{"product_id": CLOUDIFY_M, "quantity": 10}],
        },
        {
            "id": YEARLY,
            "customer_id": ANNA_ID,
            "currency": "USD",
            "start": "2026-05-13T10:28:42.344357Z",
            "status": 1,
            "renewal_type": "Automatic",
            "payment": PAYMENT,
            "items": [{"product_id": STORAGE_A, "quantity": 1}],
        },
        {
            "id": DEACTIVATED,
            "customer_id": ANNA_ID,
            "currency": "USD",
            "start": "2026-01-05T10:00:00Z",
            "status": 2,
            "renewal_type": "Automatic",
            "payment": PAYMENT,
            "items": [{"product_id": CLOUDIFY_M, "quantity": 2}],
        },
        {
            "id": OTTOS,
            "customer_id": OTTO_ID,
            "currency": "USD",
            "start": "2026-04-23T15:57:14.106747Z",
            "status": 1,
            "renewal_type": "Automatic",
            "payment": PAYMENT,
            "items": [{"product_id": CLOUDIFY_M, "quantity": 3}],
        },
    ],
}


@pytest.fixture
def scenario() -> dict[str, Any]:
    return copy.deepcopy(SCENARIO)


@pytest.fixture
def vendor(db, settings, scenario) -> Vendor:
    settings.SANDBOX_RATE_LIMIT_PER_SECOND = 0
    settings.LANGUAGE_CODE = "en"
    vendor = Vendor()
    vendor.load(scenario, reset=True)
    return vendor


@pytest.fixture
def catalog(db) -> None:
    call_command("loaddata", "demo_catalog", verbosity=0)


@pytest.fixture
def anna(db) -> Customer:
    return Customer.objects.create(vendor_id=ANNA_ID, email="anna.schmidt@example.com", locale="en")


@pytest.fixture
def otto(db) -> Customer:
    return Customer.objects.create(vendor_id=OTTO_ID, email="otto@example.com", locale="en")


def sign_in(client: Client, customer: Customer) -> Client:
    session = client.session
    session[CUSTOMER_SESSION_KEY] = customer.pk
    session.save()
    return client


@pytest.fixture
def browser(client, anna, vendor, catalog) -> Client:
    """Anna, signed in, with the guide's subscriptions at the sandbox and the demo catalog configured."""
    return sign_in(client, anna)
