"""The fixed cast for page and access tests: three customers, the vendor's data for them, and signing in.

- anna: German (19 % VAT), two USD subscriptions from the guides: S68574751 (Cloudify M, 10 users at 80.00
  a month) and S68841753 (Cloudify Storage A, one annual seat at 1200.00, further seats 600.00).
- ben: a US customer (no VAT) with one EUR subscription whose card expires before the next billing.
- carla: signed in here once, but the vendor knows no subscriptions for her e-mail or id.
- an outsider (dora) owns S68900099, which is deactivated: the foreign id in every 404 test.

Use with `from tests.cast import *` in a conftest. Vendor data goes in through the sandbox's control API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import factory
import pytest
from django.test import Client

from subscriptions import access
from subscriptions.models import Customer
from tests.vendor import Vendor

__all__ = [
    "ANNA",
    "BEN",
    "CARLA",
    "CAST_SCENARIO",
    "DORA",
    "CustomerFactory",
    "anna",
    "ben",
    "carla",
    "cast",
    "sandbox",
    "signed_in",
]

CLOCK = "2026-04-24T16:01:10Z"


@dataclass(frozen=True)
class Member:
    vendor_id: int
    email: str
    locale: str
    subscription_ids: tuple[int, ...]


ANNA = Member(159215775, "anna.schmidt@example.com", "de", (68574751, 68841753))
BEN = Member(159300002, "ben.carter@example.com", "en", (68900102,))
CARLA = Member(159300003, "carla.unknown@example.com", "en", ())
DORA = Member(159300004, "dora.outsider@example.com", "en", (68900099,))

CAST_SCENARIO: dict[str, Any] = {
    "clock": CLOCK,
    "products": [
        {
            "id": 293160,
            "name": "Cloudify M",
            "interval": "P1M",
            "prices": {"USD": [{"from": 1, "unit_gross": "80.00"}], "EUR": [{"from": 1, "unit_gross": "75.00"}]},
        },
        {
            "id": 294835,
            "name": "Cloudify Storage A",
            "interval": "P1Y",
            "prices": {"USD": [{"from": 1, "unit_gross": "1200.00"}, {"from": 2, "unit_gross": "600.00"}]},
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
        {"id": DORA.vendor_id, "email": DORA.email, "reference_id": "dora", "country": "AT", "vat_rate": "0.20"},
    ],
    "subscriptions": [
        {
            "id": 68574751,
            "customer_id": ANNA.vendor_id,
            "currency": "USD",
            "start": "2026-04-23T15:57:14.106747Z",
            "status": 1,
            "renewal_type": "Automatic",
            "payment": {"type": "Visa", "type_id": "CCA_VIS", "last_four": "765T", "expires": "2027-12"},
            "items": [{"product_id": 293160, "quantity": 10}],
        },
        {
            "id": 68841753,
            "customer_id": ANNA.vendor_id,
            "currency": "USD",
            "start": "2026-05-13T10:28:42.344357Z",
            "status": 1,
            "renewal_type": "Automatic",
            "payment": {"type": "Visa", "type_id": "CCA_VIS", "last_four": "765T", "expires": "2027-12"},
            "items": [{"product_id": 294835, "quantity": 1}],
        },
        {
            "id": 68900102,
            "customer_id": BEN.vendor_id,
            "currency": "EUR",
            "start": "2026-03-10T09:00:00Z",
            "status": 1,
            "renewal_type": "Automatic",
            "payment": {"type": "MasterCard", "type_id": "CCA_MC", "last_four": "4444", "expires": "2026-04"},
            "items": [{"product_id": 293160, "quantity": 3}],
        },
        {
            "id": 68900099,
            "customer_id": DORA.vendor_id,
            "currency": "EUR",
            "start": "2026-01-05T10:00:00Z",
            "status": 2,
            "renewal_type": "Manual",
            "payment": {"type": "Visa", "type_id": "CCA_VIS", "last_four": "3131", "expires": "2027-09"},
            "items": [{"product_id": 293160, "quantity": 2}],
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


@pytest.fixture
def sandbox(db, settings) -> Vendor:
    settings.SANDBOX_RATE_LIMIT_PER_SECOND = 0
    return Vendor()


@pytest.fixture
def cast(sandbox) -> Vendor:
    """The cast's vendor data, with the sandbox clock at the guides' moment."""
    sandbox.load(CAST_SCENARIO, reset=True)
    return sandbox


def _member(member: Member) -> Customer:
    return CustomerFactory(vendor_id=member.vendor_id, email=member.email, locale=member.locale)


@pytest.fixture
def anna(cast) -> Customer:
    return _member(ANNA)


@pytest.fixture
def ben(cast) -> Customer:
    return _member(BEN)


@pytest.fixture
def carla(cast) -> Customer:
    return _member(CARLA)


@pytest.fixture
def signed_in():
    """`signed_in(client, customer)`: the client's session now belongs to `customer` (as after a used link)."""

    def sign(client: Client, customer: Customer) -> Client:
        request = _SessionRequest(client)
        access.sign_in(request, customer)
        request.session.save()
        client.cookies[_cookie_name()] = request.session.session_key
        return client

    return sign


def _cookie_name() -> str:
    from django.conf import settings

    return settings.SESSION_COOKIE_NAME


class _SessionRequest:
    """Just enough of a request for `access.sign_in`: a session store."""

    def __init__(self, client: Client) -> None:
        self.session = client.session
