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

logger = logging.getLogger("subscriptions.ledger")


class Command(BaseCommand):
    help = "Recompute every ledger hash and check the chain; with --consent, check a consent record file against it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--consent", metavar="PATH", help="A consent record (JSON) downloaded from a receipt.")

    def handle(self, *args, consent: str | None = None, **options) -> str:
        if consent:
            return self._consent(Path(consent))
        report = chain_verify()
        chain_verified_record(report)
        if report.broken is not None:
            logger.error("ledger broken at %s", report.broken)
            raise CommandError(f"ledger broken at {report.broken}")
        line = f"ledger intact: {report.entries} entries, head {report.head_hash}"
        logger.info("ledger head at sequence %s: %s", report.head_sequence, report.head_hash)
        self.stdout.write(line)
        return ""

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
