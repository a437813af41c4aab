"""Django's `flush`, allowed past the ledger's triggers: emptying the whole database removes the ledger too.

Only a role allowed to set `session_replication_role` (a superuser) can do this on PostgreSQL; the test suite
runs as one and flushes after every transactional test. See subscriptions/ledger_guard.py.
"""

from __future__ import annotations

from django.core.management.commands import flush
from django.db import connections

from subscriptions.ledger_guard import ledger_maintenance


class Command(flush.Command):
    def handle(self, **options) -> None:
        with ledger_maintenance(connections[options["database"]]):
            super().handle(**options)
