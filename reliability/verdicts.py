"""What a case's observations mean: the defects counted in the table, decided without any server.

Each case ends with what the customer was shown (statuses, the receipt's words) and what the vendor and the database
hold (purchases at the sandbox, the consent, the quote). The functions here turn those into defect counts; the run
fails on any non-zero count.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Literal

FAILURE_MARKERS = ('id="vendor-failure"', 'id="change-problem"')

Words = Literal["charged", "confirming", "not charged", "none"]

# The receipt's headline sentences (templates/changes/receipt.html), English: the run's customers use `en`.
CHARGED_WORDS = ("Your change is done",)
CONFIRMING_WORDS = ("We are confirming your change",)
NOT_CHARGED_WORDS = ("Nothing was charged",)


def receipt_words(text: str) -> Words:
    """What the receipt tells the customer about money; `none` when it says nothing recognisable."""
    if any(words in text for words in NOT_CHARGED_WORDS):
        return "not charged"
    if any(words in text for words in CONFIRMING_WORDS):
        return "confirming"
    if any(words in text for words in CHARGED_WORDS):
        return "charged"
    return "none"


def server_error(*, status: int, text: str) -> bool:
    """A 5xx that is not a friendly 503 (the failure page, or the preview's problem); 0 (no answer) is not counted."""
    if status < 500:
        return False
    return not (status == 503 and any(marker in text for marker in FAILURE_MARKERS))


@dataclass(frozen=True)
class Purchase:
    purchase_id: int
    gross: Decimal


@dataclass(frozen=True)
class Commit:
    """A confirmed quote after the run's bounded wait: what the app recorded, said and what the vendor booked."""

    words: Words
    purchases: tuple[Purchase, ...]
    consented_gross: Decimal | None
    consent_at: datetime | None
    commit_sent_at: datetime | None
    matched_purchase_id: int | None = None


@dataclass
class Defects:
    """One row of counts: every field but `cases` and `tampering_detected` must be zero."""

    cases: int = 0
    server_errors: int = 0
    double_charges: int = 0
    above_consent: int = 0
    consents_lost: int = 0
    wrong_words: int = 0
    wrong_matches: int = 0
    leaks: int = 0
    budget_overruns: int = 0
    harness_failures: int = 0
    tamper_cases: int = 0
    tampering_detected: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, other: Defects) -> None:
        for item in fields(self):
            if item.name == "notes":
                self.notes.extend(other.notes)
            else:
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    @property
    def total(self) -> int:
        counted = (
            self.server_errors,
            self.double_charges,
            self.above_consent,
            self.consents_lost,
            self.wrong_words,
            self.wrong_matches,
            self.leaks,
            self.budget_overruns,
            self.harness_failures,
        )
        return sum(counted) + (self.tamper_cases - self.tampering_detected)


def statuses_judged(answers: list[tuple[str, int, str]]) -> Defects:
    """Server errors among `(label, status, body)` answers, each named in the notes."""
    found = Defects()
    for label, status, text in answers:
        if server_error(status=status, text=text):
            found.server_errors += 1
            found.notes.append(f"{label}: HTTP {status}")
    return found


def commit_judged(label: str, commit: Commit) -> Defects:
    """A confirmed quote against the vendor's purchases: one at most, not above consent, told truly, consent first."""
    found = Defects()
    charged = bool(commit.purchases)
    if len(commit.purchases) > 1:
        found.double_charges += 1
        found.notes.append(f"{label}: {len(commit.purchases)} purchases for one quote")
    if commit.consented_gross is not None:
        above = [p for p in commit.purchases if p.gross > commit.consented_gross]
        if above:
            found.above_consent += 1
            found.notes.append(f"{label}: charged {above[0].gross} after consent to {commit.consented_gross}")
    if commit.commit_sent_at is not None or charged:
        if commit.consent_at is None:
            found.consents_lost += 1
            found.notes.append(f"{label}: sent or charged without a stored consent")
        elif commit.commit_sent_at is not None and commit.consent_at > commit.commit_sent_at:
            found.consents_lost += 1
            found.notes.append(f"{label}: consent stored after the commit was sent")
    truthful = commit.words in ("charged", "confirming") if charged else commit.words == "not charged"
    if not truthful:
        found.wrong_words += 1
        said = commit.words if commit.words != "none" else "nothing recognisable"
        found.notes.append(f"{label}: {'charged' if charged else 'not charged'}, the receipt says {said}")
    if commit.matched_purchase_id is not None and commit.matched_purchase_id not in {
        p.purchase_id for p in commit.purchases
    }:
        found.wrong_matches += 1
        found.notes.append(f"{label}: paid by purchase {commit.matched_purchase_id}, not one of this change's")
    return found


def leak_judged(label: str, *, status: int, text: str, foreign: list[str], signed_in: bool) -> Defects:
    """Someone else's object: 404 (without a session also the sign-in redirect, or 403 from the CSRF check), and none
    of the owner's data."""
    found = Defects()
    allowed = {404} if signed_in else {302, 403, 404}
    if status not in allowed:
        found.leaks += 1
        found.notes.append(f"{label}: HTTP {status}, expected {' or '.join(map(str, sorted(allowed)))}")
    shown = [value for value in foreign if value and value in text]
    if shown:
        found.leaks += 1
        found.notes.append(f"{label}: the body shows {', '.join(shown)}")
    return found


def busiest_second_judged(label: str, *, by_second: dict[int, int], limit: int) -> Defects:
    found = Defects()
    busiest = max(by_second.values(), default=0)
    if busiest > limit:
        found.budget_overruns += 1
        found.notes.append(f"{label}: {busiest} vendor calls in one second, limit {limit}")
    return found


COLUMNS = (
    ("cases", "cases run"),
    ("server_errors", "500s"),
    ("double_charges", "double charges"),
    ("above_consent", "above consent"),
    ("consents_lost", "consents lost"),
    ("wrong_words", "wrong words"),
    ("wrong_matches", "wrong matches"),
    ("leaks", "leaks"),
    ("budget_overruns", "budget overruns"),
    ("harness_failures", "harness failures"),
    ("tampering_detected", "tampering detected"),
)


def table_markdown(rows: dict[str, Defects]) -> str:
    """One line per case group and a total; tampering is shown as detected / tamper cases."""
    total = Defects()
    for row in rows.values():
        total.add(row)
    head = "| case | " + " | ".join(title for _, title in COLUMNS) + " |\n"
    head += "|---|" + "---:|" * len(COLUMNS) + "\n"
    lines = [head]
    for name, row in [*rows.items(), ("**total**", total)]:
        cells = []
        for key, _ in COLUMNS:
            value = getattr(row, key)
            cells.append(f"{value}/{row.tamper_cases}" if key == "tampering_detected" else str(value))
        lines.append(f"| {name} | " + " | ".join(cells) + " |\n")
    return "".join(lines)


def results_json(rows: dict[str, Defects], **about: object) -> str:
    total = Defects()
    for row in rows.values():
        total.add(row)
    payload = {
        "about": about,
        "rows": {name: asdict(row) for name, row in rows.items()},
        "total": asdict(total),
        "defects": total.total,
    }
    return json.dumps(payload, indent=2, default=str) + "\n"
