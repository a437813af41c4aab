"""The reliability suite's judgement of a case, without servers: each defect is counted, and only defects."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from reliability.verdicts import (
    Commit,
    Defects,
    Purchase,
    busiest_second_judged,
    commit_judged,
    leak_judged,
    receipt_words,
    server_error,
    statuses_judged,
    table_markdown,
)

CONSENT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SENT = CONSENT + timedelta(seconds=1)


def commit(**overrides) -> Commit:
    values = {
        "words": "charged",
        "purchases": (Purchase(538988790, Decimal("540.82")),),
        "consented_gross": Decimal("540.82"),
        "consent_at": CONSENT,
        "commit_sent_at": SENT,
    }
    return Commit(**{**values, **overrides})


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("<p><strong>Your change is done and paid.</strong>", "charged"),
        ("<p><strong>Your change is done.</strong>", "charged"),
        ("<strong>We are confirming your change.</strong>", "confirming"),
        ("The change was not made. Nothing was charged.", "not charged"),
        ("The change was not sent. Nothing was charged.", "not charged"),
        ("<h1>Change receipt</h1>", "none"),
    ],
)
def test_the_receipt_is_read_for_what_it_says_about_money(text, words):
    assert receipt_words(text) == words


def test_only_a_5xx_that_is_not_the_friendly_page_is_a_server_error():
    assert server_error(status=500, text="Server Error")
    assert server_error(status=503, text="Service Unavailable")
    assert not server_error(status=503, text='<main id="vendor-failure">')
    assert not server_error(status=503, text='<div class="notice" id="change-problem">')
    assert not server_error(status=409, text="")
    assert not server_error(status=0, text="")
    assert statuses_judged([("list", 500, ""), ("page", 200, "")]).server_errors == 1


def test_a_charge_told_as_done_or_confirming_with_consent_first_is_no_defect():
    assert commit_judged("ok", commit()).total == 0
    assert commit_judged("ok", commit(words="confirming")).total == 0


def test_nothing_charged_told_as_nothing_charged_is_no_defect():
    assert commit_judged("ok", commit(words="not charged", purchases=())).total == 0


def test_a_charge_told_as_nothing_charged_is_wrong_words():
    found = commit_judged("429 apply_then_error", commit(words="not charged"))
    assert (found.wrong_words, found.total) == (1, 1)
    assert "the receipt says not charged" in found.notes[0]


@pytest.mark.parametrize("words", ["charged", "confirming", "none"])
def test_no_charge_told_as_anything_but_nothing_charged_is_wrong_words(words):
    assert commit_judged("x", commit(words=words, purchases=())).wrong_words == 1


def test_two_purchases_for_one_quote_are_a_double_charge():
    two = (Purchase(1, Decimal("540.82")), Purchase(2, Decimal("540.82")))
    found = commit_judged("x", commit(purchases=two))
    assert (found.double_charges, found.total) == (1, 1)


def test_a_purchase_above_the_consented_amount_is_counted_even_by_one_cent():
    found = commit_judged("x", commit(purchases=(Purchase(1, Decimal("540.83")),)))
    assert (found.above_consent, found.total) == (1, 1)


def test_a_charge_without_consent_or_with_consent_after_sending_is_a_lost_consent():
    assert commit_judged("x", commit(consent_at=None)).consents_lost == 1
    assert commit_judged("x", commit(consent_at=SENT + timedelta(seconds=1))).consents_lost == 1
    assert commit_judged("x", commit(commit_sent_at=None)).consents_lost == 0


def test_a_payment_matched_from_another_change_is_a_wrong_match():
    assert commit_judged("x", commit(matched_purchase_id=538988790)).wrong_matches == 0
    assert commit_judged("x", commit(matched_purchase_id=538988999)).wrong_matches == 1


def test_a_foreign_object_must_be_404_without_the_owners_data():
    ok = leak_judged("x", status=404, text="Not found", foreign=["anna@example.com"], signed_in=True)
    assert ok.total == 0
    assert leak_judged("x", status=200, text="", foreign=["a"], signed_in=True).leaks == 1
    shown = leak_judged("x", status=404, text="anna@example.com", foreign=["anna@example.com"], signed_in=True)
    assert shown.leaks == 1
    assert leak_judged("x", status=302, text="", foreign=[], signed_in=False).total == 0
    assert leak_judged("x", status=403, text="", foreign=[], signed_in=False).total == 0
    assert leak_judged("x", status=403, text="", foreign=[], signed_in=True).leaks == 1
    assert leak_judged("x", status=302, text="", foreign=[], signed_in=True).leaks == 1


def test_more_vendor_calls_in_a_second_than_the_limit_is_an_overrun():
    assert busiest_second_judged("x", by_second={1: 5, 2: 6}, limit=6).total == 0
    assert busiest_second_judged("x", by_second={1: 7}, limit=6).budget_overruns == 1


def test_undetected_tampering_counts_as_a_defect_and_the_table_shows_it():
    row = Defects(cases=1, tamper_cases=1, tampering_detected=0)
    assert row.total == 1
    row.tampering_detected = 1
    assert row.total == 0
    table = table_markdown({"ledger": row, "other": Defects(cases=3, leaks=2)})
    assert "| ledger | 1 | 0 |" in table
    assert "| **total** | 4 | 0 | 0 | 0 | 0 | 0 | 0 | 2 | 0 | 0 | 1/1 |" in table
