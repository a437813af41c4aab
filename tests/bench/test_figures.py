"""The benchmark's verdicts: a figure beside its target says met, or by how much it missed."""

import json

import pytest

from bench.figures import Figure, figures_json, number, percentile, table_markdown


@pytest.mark.parametrize(
    ("value", "bound", "target", "verdict"),
    [
        (4, "at most", 4, "met"),
        (6, "at most", 4, "missed by 2 calls"),
        (0.5, "at most", 1.05, "met"),
        (500, "at least", 500, "met"),
        (29.4, "at least", 500, "missed by 471 calls"),
        (None, "at most", 4, "n/a"),
        (7, "none", None, ""),
    ],
)
def test_the_verdict_says_met_or_by_how_much_it_missed(value, bound, target, verdict):
    assert Figure("s", "n", value, "calls", bound, target).verdict == verdict


def test_a_ratio_misses_by_the_difference_in_its_own_unit():
    figure = Figure("s", "subscription page", 1.47, "\u00d7", "at most", 1.05)
    assert figure.verdict == "missed by 0.420\u00d7"
    assert figure.shown_target == "\u2264 1.05\u00d7"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(6, "6"), (1500, "1,500"), (0.5764, "0.576"), (29.44, "29.4"), (0.0, "0"), (0.125, "0.125"), (10.75, "10.8")],
)
def test_numbers_are_shown_with_three_significant_digits(value, shown):
    assert number(value) == shown


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile([3.0], 0.99) == 3
    assert percentile([], 0.5) is None


def test_the_table_groups_figures_by_section_and_the_json_keeps_the_verdicts():
    figures = [
        Figure("(a) Calls", "subscription page", 1, "calls", "at most", 1, note="getsubscription 1"),
        Figure("(a) Calls", "preview", 2, "calls", "at most", 1),
        Figure("(d) Notifications", "lost", 0, "", "at most", 0),
    ]
    table = table_markdown(figures)
    assert table.count("### ") == 2
    assert "| subscription page (getsubscription 1) | 1 calls | \u2264 1 calls | met |" in table
    assert "| preview | 2 calls | \u2264 1 calls | missed by 1 calls |" in table
    rows = json.loads(figures_json(figures, plan="quick"))
    assert rows["plan"] == "quick"
    assert [row["verdict"] for row in rows["figures"]] == ["met", "missed by 1 calls", "met"]
