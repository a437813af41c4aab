"""Each entry is chained to the one before: a sequence without gaps, the predecessor's hash, its own hash."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from subscriptions import ledger
from subscriptions.models import GENESIS_HASH, LedgerEntry, LedgerHead
from tests.ledger.conftest import append, raw


def test_entries_chain_from_the_genesis_hash_onto_each_other(customer):
    first, second, third = append(customer, 3)

    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    head = LedgerHead.objects.get()
    assert (head.sequence, head.hash) == (3, third.hash)


def test_the_hash_is_sha256_of_the_documented_canonical_form(customer):
    (entry,) = append(customer, 1)
    entry = LedgerEntry.objects.get(pk=entry.pk)

    canonical = json.dumps(
        {
            "action": "change.committed",
            "created_at": entry.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
            "customer_id": customer.pk,
            "staff_user_id": None,
            "ip": "192.0.2.10",
            "subscription_id": 68574751,
            "quote_id": None,
            "data": {"charge_now_gross": "1159.89", "currency": "USD", "number": 0},
            "sequence": 1,
            "prev_hash": "0" * 64,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert entry.hash == hashlib.sha256(canonical.encode()).hexdigest()


def test_what_is_hashed_is_what_the_database_gives_back(customer):
    """Amounts, times, IPv6 addresses and big numbers come back from the column as they were hashed."""
    with transaction.atomic():
        entry = ledger.record(
            action="change.noted",
            customer=customer,
            ip="2001:0db8:0000::0001",
            data={
                "amount": Decimal("974.70"),
                "at": datetime(2026, 5, 23, 16, 1, 10, 344357, tzinfo=UTC),
                "big": 1e20,
                "ratio": 0.19,
                "words": "Zustimmung für 15 Plätze",
                "nested": [{"b": 1, "a": None}],
            },
        )

    fresh = LedgerEntry.objects.get(pk=entry.pk)
    assert fresh.ip == "2001:db8::1"
    assert ledger.entry_hash(fresh) == entry.hash == fresh.hash


def test_verify_ledger_reports_the_entries_and_logs_the_head(customer, caplog):
    *_, last = append(customer, 3)
    caplog.set_level("INFO", logger="subscriptions.ledger")

    out = StringIO()
    call_command("verify_ledger", stdout=out)

    assert out.getvalue().strip() == f"ledger intact: 3 entries, head {last.hash}"
    assert last.hash in caplog.text


def test_an_empty_ledger_is_intact(db):
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert out.getvalue().strip() == f"ledger intact: 0 entries, head {GENESIS_HASH}"


def test_two_entries_cannot_share_a_sequence_or_a_predecessor(customer):
    """A fork is refused by the database, not just unlikely."""
    first, second = append(customer, 2)
    insert = (
        "INSERT INTO subscriptions_ledgerentry (action, created_at, data, sequence, prev_hash, hash) "
        "VALUES ('change.forged', %s, '{}', %s, %s, %s)"
    )
    now = datetime.now(UTC)
    with pytest.raises(IntegrityError), transaction.atomic():
        raw(insert, [now, second.sequence, "a" * 64, "b" * 64])
    with pytest.raises(IntegrityError), transaction.atomic():
        raw(insert, [now, 3, first.hash, "c" * 64])


def test_a_missing_head_stops_appends_instead_of_starting_a_second_chain(customer, attacker):
    append(customer, 2)
    raw("DELETE FROM subscriptions_ledgerhead")

    with pytest.raises(ledger.LedgerTampered), transaction.atomic():
        ledger.record(action="change.noted", customer=customer, data={})
    assert LedgerEntry.objects.count() == 2
