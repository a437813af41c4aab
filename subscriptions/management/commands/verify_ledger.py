"""Prove the ledger was not changed: walk the whole chain, or check one consent record against it.

Run it daily from cron: its last line (also logged) names the head hash; keep that line somewhere the database's
administrators cannot rewrite, and a later rewrite of the chain shows as a head that no longer matches.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from subscriptions.ledger import LedgerTampered, chain_verified_record, chain_verify, consent_record_verify
from subscriptions.models import LedgerEntry

logger = logging.getLogger("subscriptions.ledger")


class Command(BaseCommand):
    help = "Recompute every ledger hash and check the chain; with --consent, check a consent record file against it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--consent", metavar="PATH", help="A consent record (JSON) downloaded from a receipt.")
        parser.add_argument(
            "--anchor",
            metavar="SEQUENCE:HASH",
            action="append",
            default=[],
            help="A head kept from an earlier run; the entry at that sequence must still have that hash.",
        )

    def handle(self, *args, consent: str | None = None, anchor: list[str], **options) -> str:
        if consent:
            return self._consent(Path(consent))
        report = chain_verify()
        chain_verified_record(report)
        if report.broken is not None:
            logger.error("ledger broken at %s", report.broken)
            raise CommandError(f"ledger broken at {report.broken}")
        for kept in anchor:
            self._anchor(kept)
        line = f"ledger intact: {report.entries} entries, head {report.head_hash}"
        logger.info("ledger head at sequence %s: %s", report.head_sequence, report.head_hash)
        self.stdout.write(line)
        return ""

    def _anchor(self, kept: str) -> None:
        sequence, _, expected = kept.partition(":")
        if not sequence.isdigit() or len(expected) != 64:
            raise CommandError(f"an anchor is SEQUENCE:HASH, not {kept!r}")
        entry = LedgerEntry.objects.filter(sequence=int(sequence)).first()
        if entry is None or entry.hash != expected.lower():
            found = entry.hash if entry is not None else "no entry"
            logger.error("ledger rewritten: entry %s is %s, kept head %s", sequence, found, expected)
            raise CommandError(f"ledger rewritten at or before sequence {sequence}: kept {expected}, found {found}")

    def _consent(self, path: Path) -> str:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the consent record {path}: {exc}") from exc
        try:
            entry = consent_record_verify(record)
        except LedgerTampered as exc:
            raise CommandError(f"consent record {path} does not verify: {exc}") from exc
        self.stdout.write(
            f"consent record intact: ledger entry {entry.sequence} (id {entry.id}) of quote {record.get('quote')}, "
            f"hash {entry.hash}"
        )
        return ""
