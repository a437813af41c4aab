"""The chain's status for the admin: cheap (only new entries are walked), and it sees removals at once."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from subscriptions import ledger
from subscriptions.models import LedgerHead
from tests.ledger.conftest import append, one_cent_more, raw


def test_an_intact_chain_and_how_far_it_was_checked(customer):
    append(customer, 3)

    assert ledger.chain_status() == (True, 3, None)
    head = LedgerHead.objects.get()
    assert (head.verified_sequence, head.verified_hash) == (3, head.hash)
    assert head.verified_at is not None


def test_only_entries_added_since_the_last_check_are_walked(customer, monkeypatch):
    append(customer, 3)
    ledger.chain_status()
    *_, last = append(customer, 2)

    checked = []
    original = ledger._link_problem

    def counting(entry, *args):
        checked.append(entry.sequence)
        return original(entry, *args)

    monkeypatch.setattr(ledger, "_link_problem", counting)
    assert ledger.chain_status() == (True, 5, None)

    assert checked == [4, 5]
    assert LedgerHead.objects.get().verified_hash == last.hash


def test_a_new_entry_changed_since_the_last_check_is_found(customer, attacker):
    append(customer, 2)
    ledger.chain_status()
    (changed,) = append(customer, 1)
    one_cent_more(changed)

    intact, entries, broken = ledger.chain_status()

    assert (intact, entries) == (False, 3)
    assert (broken.entry_id, broken.sequence) == (changed.pk, 3)
    assert broken.problem.startswith("hash mismatch")


def test_a_removed_entry_is_found_even_before_the_last_check(customer, attacker):
    _, removed, after = append(customer, 3)
    ledger.chain_status()
    raw("DELETE FROM subscriptions_ledgerentry WHERE id = %s", [removed.pk])

    intact, _, broken = ledger.chain_status()

    assert not intact
    assert (broken.entry_id, broken.sequence) == (after.pk, 3)
    assert "entry 2 is missing" in broken.problem


def test_an_older_edit_shows_once_the_full_walk_has_found_it(customer, attacker):
    """The status walks only new entries; verify_ledger walks all and makes the status walk again from the break."""
    _, changed, _ = append(customer, 3)
    ledger.chain_status()
    one_cent_more(changed)
    assert ledger.chain_status().intact

    with pytest.raises(CommandError):
        call_command("verify_ledger")

    intact, _, broken = ledger.chain_status()
    assert not intact
    assert (broken.entry_id, broken.sequence) == (changed.pk, 2)
