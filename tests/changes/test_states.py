"""The tables of allowed moves: the docs say what the code allows, and the one move function keeps to them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from subscriptions import states
from subscriptions.models import LedgerEntry, NotificationStatus, Quote, QuoteState
from tests.cast import MONTHLY
from tests.changes.flows import preview

DOC = Path(__file__).resolve().parents[2] / "docs" / "changes.md"
ROW = re.compile(r"^\|\s*`(?P<source>[a-z_]+)`\s*\|(?P<targets>[^|]+)\|\s*$")


def _doc_table(heading: str) -> set[tuple[str, str]]:
    """The (from, to) pairs of the table under `heading` in docs/changes.md."""
    lines = DOC.read_text().splitlines()
    start = lines.index(heading)
    pairs: set[tuple[str, str]] = set()
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        match = ROW.match(line)
        if match:
            pairs |= {(match["source"], target) for target in re.findall(r"`([a-z_]+)`", match["targets"])}
    assert pairs, f"no table under {heading!r} in {DOC}"
    return pairs


def _code_table(table) -> set[tuple[str, str]]:
    return {(str(source), str(target)) for source, targets in table.items() for target in targets}


@pytest.mark.parametrize(
    ("heading", "table"),
    [("### Quote moves", states.QUOTE_MOVES), ("### Notification moves", states.NOTIFICATION_MOVES)],
)
def test_the_documented_moves_are_exactly_the_code_s(heading, table):
    documented, allowed = _doc_table(heading), _code_table(table)
    assert documented - allowed == set(), "documented but not allowed by the code"
    assert allowed - documented == set(), "allowed by the code but not documented"


def test_every_state_in_the_tables_exists():
    assert {state for pair in _code_table(states.QUOTE_MOVES) for state in pair} <= set(QuoteState.values)
    assert {status for pair in _code_table(states.NOTIFICATION_MOVES) for status in pair} <= set(
        NotificationStatus.values
    )


def test_an_unknown_outcome_may_be_rejected_by_the_commit_s_late_answer():
    assert QuoteState.REJECTED in states.QUOTE_MOVES[QuoteState.OUTCOME_UNKNOWN]


def test_a_move_the_table_does_not_allow_is_a_mistake_and_raises():
    with pytest.raises(states.IllegalMove):
        states.quote_move(quote=1, to=QuoteState.PAID, expect=[QuoteState.QUOTED], action="change.paid")
    with pytest.raises(states.IllegalMove):
        states.quote_move(quote=1, to=QuoteState.EXPIRED, action="change.expired")
    with pytest.raises(states.IllegalMove):
        states.notification_move(notification=1, to=NotificationStatus.RECEIVED, note="")


@pytest.mark.django_db
def test_a_quote_that_moved_on_is_not_moved_and_nothing_is_written(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    entries = LedgerEntry.objects.count()

    moved = states.quote_move(quote=quote, to=QuoteState.FAILED, action="change.failed", data={"reason": "test"})

    assert moved is None
    quote.refresh_from_db()
    assert quote.state == QuoteState.QUOTED
    assert LedgerEntry.objects.count() == entries


@pytest.mark.django_db
def test_a_move_writes_state_fields_and_its_ledger_entry_together(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)

    moved = states.quote_move(
        quote=quote.pk,
        to=QuoteState.COMMITTING,
        action="change.consented",
        fields={"vendor_message": "test"},
        data={"why": "test"},
    )

    stored = Quote.objects.get(pk=quote.pk)
    assert moved is not None and stored.state == QuoteState.COMMITTING and stored.vendor_message == "test"
    assert stored.state_changed_at == moved.state_changed_at
    entry = LedgerEntry.objects.filter(quote=quote).latest("id")
    assert entry.action == "change.consented"
    assert entry.data["state"] == "committing" and entry.data["why"] == "test"


@pytest.mark.django_db
def test_a_mark_may_not_change_the_state(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    with pytest.raises(states.IllegalMove):
        states.quote_mark(
            quote=quote, expect=[QuoteState.QUOTED], action="change.flagged", fields={"state": QuoteState.PAID}
        )
