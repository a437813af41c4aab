"""The one cast of customers every suite shares: who they are, the vendor's data for them, signing in.

- anna: the guides' customer (German VAT, 19 %) with three USD subscriptions: S68574751 (MONTHLY, Cloudify M,
  10 users at 80.00 a month), S68841753 (YEARLY, Cloudify Storage A, one annual seat at 1200.00, further seats
  600.00) and S68574799 (DEACTIVATED, status 2: the inactive subscription).
- ben: a US customer (no VAT) with one EUR subscription, S68900102, whose card expires before the next billing.
- carla: signed in here once, but the vendor knows no subscriptions for her e-mail or id (the unknown customer).
- otto: the outsider (Austria, 20 %) with S68574800 (OTTOS): the foreign id in every 404 test, and another
  customer's changes in the console.

The sandbox clock stands at the guide's preview moment (GUIDE_NOW). Conftests take the fixtures with
`from tests.cast import *`; tests import the names and `sign_in` from here. Vendor data goes in through the
sandbox's control API (`tests.vendor.Vendor`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import factory
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client

from subscriptions import access
from subscriptions.models import Customer
from tests.vendor import Vendor

__all__ = [
    "ANNA",
    "BACKUP",
    "BEN",
    "BENS",
    "CARLA",
    "CAST",
    "CLOUDIFY_L",
    "CLOUDIFY_M",
    "CLOUDIFY_S",
    "COTERM_NOW",
    "DEACTIVATED",
    "GUIDE_NOW",
    "MONTHLY",
    "OTTO",
    "OTTOS",
    "PRIORITY_SUPPORT",
    "SCENARIO",
    "STORAGE_A",
    "STORAGE_ENCRYPTION",
    "YEARLY",
    "CustomerFactory",
    "Member",
    "anna",
    "anna_client",
    "ben",
    "carla",
    "catalog",
    "otto",
    "scenario",
    "sign_in",
    "vendor",
    "with_plans",
]

GUIDE_NOW = "2026-04-24T16:01:10Z"
COTERM_NOW = "2026-06-18T10:28:42.344357Z"  # 329 days before the storage subscription renews

CLOUDIFY_M = 293160
CLOUDIFY_L = 293170  # the dearer monthly plan a switch goes to
CLOUDIFY_S = 293150  # the cheaper monthly plan, offered before a cancellation
BACKUP = 293161
PRIORITY_SUPPORT = 293162
STORAGE_A = 294835
STORAGE_ENCRYPTION = 294836

MONTHLY = 68574751  # Anna's Cloudify M, 10 seats at 80.00 a month
YEARLY = 68841753  # Anna's Cloudify Storage A, 1 seat at 1200.00 a year (600.00 from the second)
DEACTIVATED = 68574799  # Anna's, status 2
BENS = 68900102  # Ben's Cloudify M in EUR, 3 seats, card expiring April 2026
OTTOS = 68574800  # the outsider's Cloudify M, 3 seats


@dataclass(frozen=True)
class Member:
    vendor_id: int
    email: str
    locale: str
    subscription_ids: tuple[int, ...]


ANNA = Member(159215775, "anna.schmidt@example.com", "en", (MONTHLY, YEARLY, DEACTIVATED))
BEN = Member(159300002, "ben.carter@example.com", "en", (BENS,))
CARLA = Member(159300003, "carla.unknown@example.com", "en", ())
OTTO = Member(159215790, "otto@example.com", "en", (OTTOS,))
CAST = (ANNA, BEN, CARLA, OTTO)

VISA = {"type": "Visa", "type_id": "CCA_VIS", "last_four": "765T", "expires": "2027-12"}

SCENARIO: dict[str, Any] = {
    "clock": GUIDE_NOW,
    "products": [
        {
            "id": CLOUDIFY_M,
            "name": "Cloudify M",
            "interval": "P1M",
            "prices": {"USD": [{"from": 1, "unit_gross": "80.00"}], "EUR": [{"from": 1, "unit_gross": "75.00"}]},
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
            "id": ANNA.vendor_id,
            "email": ANNA.email,
            "reference_id": "skTI6EGSpGU1kODfm86bGsERjB5DGORw8Xj8wTGA",
            "country": "DE",
            "vat_rate": "0.19",
            "locale": "de",
        },
        {"id": BEN.vendor_id, "email": BEN.email, "reference_id": "us-ben", "country": "US", "vat_rate": "0"},
        {"id": OTTO.vendor_id, "email": OTTO.email, "reference_id": "otto", "country": "AT", "vat_rate": "0.20"},
    ],
    # Tests change MONTHLY and YEARLY by position: they stay first and second.
    "subscriptions": [
        {
            "id": MONTHLY,
            "customer_id": ANNA.vendor_id,
            "currency": "USD",
            "start": "2026-04-23T15:57:14.106747Z",
            "status": 1,
            "renewal_type": "Automatic",
            "payment": VISA,
            "items": [{"product_id": CLOUDIFY_M, "quantity": 10}],
        },
        {
            "id": YEARLY,
            "customer_id": ANNA.vendor_id,
            "currency": "USD",
            "start": "2026-05-13T10:28:42.344357Z",
            "status": 1,
            "renewal_type": "Automatic",
            "payment": VISA,
            "items": [{"product_id": STORAGE_A, "quantity": 1}],
        },
        {
            "id": DEACTIVATED,
            "customer_id": ANNA.vendor_id,
            "currency": "USD",
            "start": "2026-01-05T10:00:00Z",
            "status": 2,
            "renewal_type": "Manual",
            "payment": VISA,
            "items": [{"product_id": CLOUDIFY_M, "quantity": 2}],
        },
        {
            "id": BENS,
            "customer_id": BEN.vendor_id,
            "currency": "EUR",
            "start": "2026-03-10T09:00:00Z",
            "status": 1,
            "renewal_type": "Automatic",
            "payment": {"type": "MasterCard", "type_id": "CCA_MC", "last_four": "4444", "expires": "2026-04"},
            "items": [{"product_id": CLOUDIFY_M, "quantity": 3}],
        },
        {
            "id": OTTOS,
            "customer_id": OTTO.vendor_id,
            "currency": "USD",
            "start": "2026-04-23T15:57:14.106747Z",
            "status": 1,
            "renewal_type": "Automatic",
            "payment": VISA,
            "items": [{"product_id": CLOUDIFY_M, "quantity": 3}],
        },
    ],
}


class CustomerFactory(factory.django.DjangoModelFactory):
    """A local customer row (someone who has signed in here before)."""

    class Meta:
        model = Customer
        django_get_or_create = ("vendor_id",)

    vendor_id = factory.Sequence(lambda n: 170000000 + n)
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    locale = "en"


OTHER_PLANS = {
    CLOUDIFY_L: {
        "id": CLOUDIFY_L,
        "name": "Cloudify L",
        "interval": "P1M",
        "prices": {"USD": [{"from": 1, "unit_gross": "120.00"}, {"from": 11, "unit_gross": "100.00"}]},
    },
    CLOUDIFY_S: {
        "id": CLOUDIFY_S,
        "name": "Cloudify S",
        "interval": "P1M",
        "prices": {"USD": [{"from": 1, "unit_gross": "50.00"}]},
    },
}
"""The monthly plans the demo catalog lets Cloudify M switch to, as the vendor sells them (USD only here)."""


def with_plans(scenario: dict[str, Any], *product_ids: int) -> dict[str, Any]:
    """The scenario with the vendor selling the other monthly plans too (all of them unless named)."""
    for product_id in product_ids or tuple(OTHER_PLANS):
        scenario["products"].append(dict(OTHER_PLANS[product_id]))
    return scenario


@pytest.fixture
def scenario() -> dict[str, Any]:
    """A copy of the cast's vendor data that a test may change before (re)loading it."""
    return copy.deepcopy(SCENARIO)


@pytest.fixture
def vendor(db, settings, scenario) -> Vendor:
    """The cast's vendor data at the sandbox, its clock at the guide's moment; no rate limit, English pages."""
    settings.SANDBOX_RATE_LIMIT_PER_SECOND = 0
    settings.LANGUAGE_CODE = "en"
    vendor = Vendor()
    vendor.load(scenario, reset=True)
    return vendor


@pytest.fixture
def catalog(db) -> None:
    """The demo catalog: which changes each product offers."""
    call_command("loaddata", "demo_catalog", verbosity=0)


def _member(member: Member) -> Customer:
    return CustomerFactory(vendor_id=member.vendor_id, email=member.email, locale=member.locale)


@pytest.fixture
def anna(vendor) -> Customer:
    return _member(ANNA)


@pytest.fixture
def ben(vendor) -> Customer:
    return _member(BEN)


@pytest.fixture
def carla(vendor) -> Customer:
    return _member(CARLA)


@pytest.fixture
def otto(vendor) -> Customer:
    return _member(OTTO)


def sign_in(client: Client, customer: Customer) -> Client:
    """The client's session now belongs to `customer`, as after a used sign-in link (through `access.sign_in`)."""
    request = _SessionRequest(client)
    access.sign_in(request, customer)
    request.session.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = request.session.session_key
    return client


class _SessionRequest:
    """Just enough of a request for `access.sign_in`: a session store."""

    def __init__(self, client: Client) -> None:
        self.session = client.session


@pytest.fixture
def anna_client(client, anna, vendor, catalog) -> Client:
    """Django's test client signed in as Anna, with her subscriptions at the sandbox and the demo catalog."""
    return sign_in(client, anna)
