"""Figures of a run, each beside its target: "met", or "missed by" how much. Targets are reported, never asserted."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Bound = Literal["at most", "at least", "none"]
TIMES = "\u00d7"


@dataclass(frozen=True)
class Figure:
    section: str
    name: str
    value: float | None
    unit: str = ""
    bound: Bound = "none"
    target: float | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.bound == "none" or self.target is None:
            return ""
        if self.value is None or math.isnan(self.value):
            return "n/a"
        short = self.value - self.target if self.bound == "at most" else self.target - self.value
        if short <= 0:
            return "met"
        return f"missed by {number(short)}{_unit(self.unit)}"

    @property
    def shown_value(self) -> str:
        if self.value is None or math.isnan(self.value):
            return "n/a"
        return f"{number(self.value)}{_unit(self.unit)}"

    @property
    def shown_target(self) -> str:
        if self.bound == "none" or self.target is None:
            return "—"
        sign = "≤" if self.bound == "at most" else "≥"
        return f"{sign} {number(self.target)}{_unit(self.unit)}"


def _unit(unit: str) -> str:
    if not unit:
        return ""
    return unit if unit in {TIMES, "%"} else f" {unit}"


def number(value: float) -> str:
    """Whole numbers as they are; others with three significant digits (at least two decimals below 1)."""
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    if value == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    quantum = Decimal(1).scaleb(-digits)
    return f"{Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP):,}"


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (share in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def table_markdown(figures: list[Figure]) -> str:
    lines = []
    section = None
    for figure in figures:
        if figure.section != section:
            section = figure.section
            lines += ["", f"### {section}", "", "| figure | value | target | verdict |", "|---|---:|---|---|"]
        name = f"{figure.name} ({figure.note})" if figure.note else figure.name
        lines.append(f"| {name} | {figure.shown_value} | {figure.shown_target} | {figure.verdict} |")
    return "\n".join(lines).lstrip("\n") + "\n"


def figures_json(figures: list[Figure], **about) -> str:
    rows = [{**asdict(figure), "verdict": figure.verdict} for figure in figures]
    return json.dumps({**about, "figures": rows}, indent=2, default=str) + "\n"
