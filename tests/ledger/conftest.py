"""The ledger's world: a customer to write entries about, and an attacker who can drop the database's triggers."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction

from subscriptions import ledger
from subscriptions.ledger_guard import guard_install, guard_remove
from subscriptions.models import Customer, LedgerEntry
from tests.cast import CustomerFactory, anna, anna_client, catalog, otto, scenario, vendor  # noqa: F401

CHARGED = {"charge_now_gross": Decimal("1159.89"), "currency": "USD"}


@pytest.fixture
def customer(db) -> Customer:
    return CustomerFactory()


def append(customer: Customer, count: int = 1, **data: Any) -> list[LedgerEntry]:
    """Write `count` entries, each in its own transaction, as a change would."""
    written = []
    for number in range(count):
        with transaction.atomic():
            written.append(
                ledger.record(
                    action="change.committed",
                    customer=customer,
                    subscription_id=68574751,
                    ip="192.0.2.10",
                    data={**CHARGED, "number": number, **data},
                )
            )
    return written


def raw(sql: str, params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


def one_cent_more(entry: LedgerEntry) -> int:
    """The edit the ledger must not let pass unnoticed: a charged amount one cent higher, by raw SQL."""
    if connection.vendor == "postgresql":
        edit = "jsonb_set(data, '{charge_now_gross}', '\"1159.90\"')"
    else:
        edit = "json_set(data, '$.charge_now_gross', '1159.90')"
    return raw(f"UPDATE subscriptions_ledgerentry SET data = {edit} WHERE id = %s", [entry.pk])


@pytest.fixture
def attacker(db) -> Iterator[None]:
    """Someone with the rights to drop the triggers has dropped them."""
    guard_remove(connection)
    yield
    guard_install(connection)
