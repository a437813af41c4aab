"""The database itself refuses to change or remove ledger entries; whoever drops its triggers is still found out."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from subscriptions import ledger
from subscriptions.ledger_guard import ledger_maintenance
from subscriptions.models import LedgerEntry, LedgerHead
from tests.ledger.conftest import append, one_cent_more, raw


def verify() -> str:
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    return out.getvalue()


def test_a_one_cent_edit_by_sql_is_refused_by_the_database(customer):
    _, entry, _ = append(customer, 3)

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        one_cent_more(entry)

    assert LedgerEntry.objects.get(pk=entry.pk).data["charge_now_gross"] == "1159.89"
    assert "ledger intact: 3 entries" in verify()


def test_deleting_an_entry_by_sql_is_refused_by_the_database(customer):
    _, entry, _ = append(customer, 3)

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw("DELETE FROM subscriptions_ledgerentry WHERE id = %s", [entry.pk])
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        raw("DELETE FROM subscriptions_ledgerentry")

    assert LedgerEntry.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_truncating_the_ledger_is_refused_on_postgresql(customer):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    append(customer, 2)

    for table in ("subscriptions_ledgerentry", "subscriptions_ledgerhead"):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            raw(f"TRUNCATE {table}")

    assert LedgerEntry.objects.count() == 2


def test_the_head_only_moves_forward_onto_its_next_entry(customer):
    first, second = append(customer, 2)

    for sql, params in [
        ("UPDATE subscriptions_ledgerhead SET sequence = %s, hash = %s", [1, first.hash]),
        ("UPDATE subscriptions_ledgerhead SET sequence = %s", [3]),
        ("UPDATE subscriptions_ledgerhead SET hash = %s", ["f" * 64]),
        ("DELETE FROM subscriptions_ledgerhead", []),
    ]:
        with pytest.raises(IntegrityError, match="ledger"), transaction.atomic():
            raw(sql, params)

    head = LedgerHead.objects.get()
    assert (head.sequence, head.hash) == (2, second.hash)


def test_with_the_triggers_dropped_the_edit_succeeds_but_verify_names_that_entry(customer, attacker):
    _, entry, _ = append(customer, 3)
    assert "ledger intact" in verify()

    assert one_cent_more(entry) == 1
    assert LedgerEntry.objects.get(pk=entry.pk).data["charge_now_gross"] == "1159.90"

    with pytest.raises(CommandError) as broken:
        verify()
    assert str(broken.value).startswith(f"ledger broken at entry {entry.pk}, sequence 2: hash mismatch")


def test_an_entry_rewritten_with_a_fresh_hash_is_named_by_the_entry_after_it(customer, attacker):
    _, entry, after = append(customer, 3)
    one_cent_more(entry)
    rewritten = LedgerEntry.objects.get(pk=entry.pk)
    raw("UPDATE subscriptions_ledgerentry SET hash = %s WHERE id = %s", [ledger.entry_hash(rewritten), entry.pk])

    with pytest.raises(CommandError) as broken:
        verify()
    assert str(broken.value).startswith(f"ledger broken at entry {after.pk}, sequence 3: prev_hash mismatch")


def test_a_deleted_entry_is_named_as_a_gap(customer, attacker):
    _, deleted, after, _ = append(customer, 4)
    raw("DELETE FROM subscriptions_ledgerentry WHERE id = %s", [deleted.pk])

    with pytest.raises(CommandError) as broken:
        verify()
    assert str(broken.value) == (
        f"ledger broken at entry {after.pk}, sequence 3: sequence gap: entry 2 is missing (deleted)"
    )


def test_deleting_the_newest_entries_is_named_against_the_head(customer, attacker):
    append(customer, 4)
    raw("DELETE FROM subscriptions_ledgerentry WHERE sequence >= 3")

    with pytest.raises(CommandError, match="the head is at 4 but the last entry is 2"):
        verify()


def test_the_maintenance_block_lets_the_whole_database_be_emptied(customer):
    """What `manage.py flush` (and the test suite after each transactional test) relies on."""
    append(customer, 2)

    with ledger_maintenance(connection):
        raw("DELETE FROM subscriptions_ledgerentry")
        raw("DELETE FROM subscriptions_ledgerhead")
    assert not LedgerEntry.objects.exists()

    with pytest.raises(IntegrityError), transaction.atomic():
        append(customer, 1)
        raw("DELETE FROM subscriptions_ledgerentry")


@pytest.mark.postgres
def test_the_applications_own_role_cannot_open_the_maintenance_block(customer):
    """Only a superuser may set session_replication_role; a role like the application's gets "permission denied"."""
    if connection.vendor != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    append(customer, 1)
    with transaction.atomic():
        raw("CREATE ROLE selfservice_ledger_test_app NOSUPERUSER")
        raw("GRANT DELETE ON subscriptions_ledgerentry TO selfservice_ledger_test_app")
        raw("SET LOCAL ROLE selfservice_ledger_test_app")
        with pytest.raises(Exception, match="permission denied"), ledger_maintenance(connection):
            pass
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            raw("DELETE FROM subscriptions_ledgerentry")
        transaction.set_rollback(True)
    assert LedgerEntry.objects.count() == 1


def test_a_chain_rewritten_consistently_is_caught_by_a_kept_head(customer, attacker):
    """Re-hashing everything after an edit fools the walk, not a head kept from an earlier run."""
    first, second = append(customer, 2)
    kept = f"{second.sequence}:{second.hash}"
    append(customer, 1)
    assert "ledger intact: 3 entries" in verify()

    one_cent_more(first)
    prev_hash = "0" * 64
    for entry in LedgerEntry.objects.order_by("sequence"):
        entry.prev_hash = prev_hash
        new_hash = ledger.entry_hash(entry)
        raw(
            "UPDATE subscriptions_ledgerentry SET prev_hash = %s, hash = %s WHERE id = %s",
            [prev_hash, new_hash, entry.pk],
        )
        prev_hash = new_hash
    raw("UPDATE subscriptions_ledgerhead SET hash = %s", [prev_hash])
    assert "ledger intact: 3 entries" in verify()

    out = StringIO()
    with pytest.raises(CommandError, match=f"ledger rewritten at or before sequence 2: kept {second.hash}"):
        call_command("verify_ledger", "--anchor", kept, stdout=out)
