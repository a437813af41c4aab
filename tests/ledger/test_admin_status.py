"""Agents see the chain's status on the ledger's list: intact with its head, or the first broken entry in red."""

from __future__ import annotations

import pytest

from subscriptions.models import LedgerHead
from tests.ledger.conftest import append, one_cent_more

pytestmark = pytest.mark.django_db

LEDGER = "/admin/subscriptions/ledgerentry/"


def test_an_intact_chain_shows_its_length_and_head(admin_client, customer):
    append(customer, 3)
    head = LedgerHead.objects.get().hash

    page = admin_client.get(LEDGER).content.decode()

    assert f'<li class="success" id="ledger-chain">Ledger intact: 3 entries, head {head[:12]}</li>' in page


def test_a_broken_chain_names_its_first_broken_entry_in_red(admin_client, customer, attacker):
    _, changed, _ = append(customer, 3)
    one_cent_more(changed)

    page = admin_client.get(LEDGER).content.decode()

    assert "Ledger intact" not in page
    assert '<li class="error" id="ledger-chain">' in page
    assert f"Ledger broken at entry {changed.pk}, sequence 2: hash mismatch" in page
    assert f'href="{LEDGER}{changed.pk}/change/"' in page
    assert "manage.py verify_ledger" in page
