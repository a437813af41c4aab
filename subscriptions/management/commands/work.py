"""The background worker: django-tasks' database worker, plus a sweep of due work at start and every few seconds.

A task can be lost (its process died, the database was locked when it ran, the queue refused it) and the
work it carried must still be done. The sweep (`reconcile.reconcile_due`) finds every outcome-unknown
change and every pending or failed notification that is due, whatever happened to its task, so no work
waits for a cron job that may not exist. `make demo` runs this command; in production run it instead of
`db_worker` (several may run: each row is locked before it is moved, so two sweeps never both act).
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime

from django.db import connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from subscriptions.reconcile import ReconcileSummary, reconcile_due

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 30.0


class Sweeper:
    """Runs the sweep once, or every `every` seconds until `stop` is set (in a thread beside the worker)."""

    def __init__(self, every: float = SWEEP_SECONDS):
        self.every = every

    def sweep(self, *, now: datetime | None = None) -> ReconcileSummary | None:
        """One sweep; a failure is logged and the next sweep tries again."""
        try:
            summary = reconcile_due(now=now)
        except Exception:
            logger.exception("the sweep of due work failed; trying again in %s s", self.every)
            return None
        if summary.checked or summary.notifications or summary.errors:
            logger.info("sweep: %s", summary)
        return summary

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.every):
            try:
                self.sweep()
            finally:
                connection.close()  # this thread's own connection; a fresh one for the next sweep


class Command(DatabaseWorkerCommand):
    help = "Run the background worker (db_worker) and sweep due changes and notifications at start and periodically."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--sweep-every",
            type=float,
            default=SWEEP_SECONDS,
            help="Seconds between sweeps of due changes and notifications (default: %(default)r).",
        )

    def handle(self, *args, sweep_every: float, **options) -> None:
        reloader_parent = options["reload"] and not options["batch"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not reloader_parent:  # the process that works the tasks sweeps; a reloader's watcher does not
            sweeper = Sweeper(every=sweep_every)
            sweeper.sweep()
            if not options["batch"]:
                threading.Thread(target=sweeper.run, args=(threading.Event(),), name="sweep", daemon=True).start()
        super().handle(*args, **options)
