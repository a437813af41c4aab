"""Two processes appending at once still make one unbroken chain (PostgreSQL only: SQLite serializes writers)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from subscriptions import ledger
from subscriptions.models import GENESIS_HASH, LedgerEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

APPENDS_EACH = 15


@pytest.fixture(autouse=True)
def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL for row locks under concurrent appends (database is {connection.vendor})")


def test_concurrent_appends_chain_one_after_the_other(customer):
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def appender(name: str) -> None:
        try:
            start.wait(timeout=10)
            for number in range(APPENDS_EACH):
                with transaction.atomic():
                    ledger.record(action="change.noted", customer=customer, data={"by": name, "number": number})
        except BaseException as exc:  # surfaced below; a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=appender, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    entries = list(LedgerEntry.objects.order_by("sequence"))
    assert [entry.sequence for entry in entries] == list(range(1, 2 * APPENDS_EACH + 1))
    assert [entry.prev_hash for entry in entries] == [GENESIS_HASH] + [entry.hash for entry in entries[:-1]]
    assert {entry.data["by"] for entry in entries} == {"a", "b"}
    report = ledger.chain_verify()
    assert report.intact, report.broken
    assert (report.entries, report.head_hash) == (2 * APPENDS_EACH, entries[-1].hash)
