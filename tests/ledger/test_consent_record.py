"""A consent record taken from the ledger verifies against the chain; a copy changed in any way does not."""

from __future__ import annotations

import copy
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from subscriptions import ledger
from subscriptions.models import LedgerEntry, Quote
from tests.changes.conftest import MONTHLY
from tests.changes.flows import commit, preview
from tests.ledger.conftest import one_cent_more


@pytest.fixture
def consented(anna_client) -> Quote:
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)
    return quote


def verify_file(tmp_path, record) -> str:
    path = tmp_path / "consent.json"
    path.write_text(json.dumps(record, indent=2), encoding="utf-8")
    out = StringIO()
    call_command("verify_ledger", "--consent", str(path), stdout=out)
    return out.getvalue()


def test_the_consent_record_holds_the_consent_entry_and_its_place_in_the_chain(consented):
    record = ledger.consent_record(consented)

    entry = LedgerEntry.objects.get(quote=consented, action="change.consented")
    assert record["quote"] == str(consented.public_id)
    assert (record["sequence"], record["prev_hash"], record["hash"]) == (entry.sequence, entry.prev_hash, entry.hash)
    assert record["entry"]["action"] == "change.consented"
    assert record["entry"]["data"]["charge_now_gross"] == "1159.89"
    assert record["entry"]["data"]["consent_text"] == consented.consent.text
    assert json.loads(json.dumps(record)) == record


def test_the_downloaded_record_verifies(consented, tmp_path):
    out = verify_file(tmp_path, ledger.consent_record(consented))
    assert out.startswith("consent record intact: ledger entry ")
    assert str(consented.public_id) in out


def test_a_record_with_one_cent_changed_does_not_verify(consented, tmp_path):
    tampered = ledger.consent_record(consented)
    tampered["entry"]["data"]["charge_now_gross"] = "1159.88"

    with pytest.raises(CommandError, match="the record was changed"):
        verify_file(tmp_path, tampered)


def test_a_record_rehashed_after_the_change_is_not_in_the_ledger(consented, tmp_path):
    record = ledger.consent_record(consented)
    tampered = copy.deepcopy(record)
    tampered["entry"]["data"]["charge_now_gross"] = "1159.88"
    tampered["hash"] = ledger.fields_hash(tampered["entry"], sequence=record["sequence"], prev_hash=record["prev_hash"])

    with pytest.raises(CommandError, match="no ledger entry has the hash"):
        verify_file(tmp_path, tampered)


def test_another_entry_is_not_a_consent_record(consented, tmp_path):
    other = LedgerEntry.objects.get(quote=consented, action="change.committed")
    record = {**ledger.consent_record(consented), "entry": ledger.entry_fields(other), "hash": other.hash}

    with pytest.raises(CommandError, match="not a consent record"):
        verify_file(tmp_path, record)


def test_a_quote_never_consented_has_no_consent_record(anna_client):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)

    with pytest.raises(LedgerEntry.DoesNotExist):
        ledger.consent_record(quote)


def test_the_record_no_longer_verifies_once_its_entry_is_edited(consented, tmp_path, attacker):
    record = ledger.consent_record(consented)
    entry = LedgerEntry.objects.get(quote=consented, action="change.consented")
    one_cent_more(entry)

    with pytest.raises(CommandError, match=f"ledger entry {entry.sequence} .* no longer matches its hash"):
        verify_file(tmp_path, record)
