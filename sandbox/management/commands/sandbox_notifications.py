"""List the sandbox's notification deliveries, or send the ones that are due; with --every, keep sweeping.

--refund P / --chargeback P: the vendor refunds purchase P (or its payment is charged back) and notifies.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from sandbox.models import NotificationDelivery
from sandbox.notifications import notifications_sweep
from sandbox.services import SandboxError, purchase_money_back


class Command(BaseCommand):
    help = (
        "List the sandbox's notification deliveries; --deliver sends those that are due now, and with "
        "--every N it sweeps every N seconds until stopped (beside the worker, so no delivery is left behind). "
        "--refund P or --chargeback P first plans a RefundNotification or ChargebackNotification for purchase P."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--deliver", action="store_true", help="send every pending delivery that is due")
        parser.add_argument("--every", type=float, metavar="SECONDS", help="with --deliver: sweep again and again")
        parser.add_argument("--passes", type=int, metavar="N", help="with --every: stop after N sweeps")
        parser.add_argument("--refund", type=int, metavar="PURCHASE_ID", help="the vendor refunds this purchase")
        parser.add_argument(
            "--chargeback", type=int, metavar="PURCHASE_ID", help="this purchase's payment is charged back"
        )

    def handle(self, *args, deliver: bool = False, every: float | None = None, passes: int | None = None, **options):
        for kind in ("refund", "chargeback"):
            if options.get(kind) is not None:
                try:
                    purchase_money_back(purchase_id=options[kind], kind=kind)
                except SandboxError as error:
                    raise CommandError(error.message) from None
                self.stdout.write(f"{kind} of purchase {options[kind]} planned")
        if every is not None:
            if not deliver or every <= 0:
                self.stderr.write("--every needs --deliver and a positive number of seconds")
                raise SystemExit(2)
            self._sweep_forever(every=every, passes=passes)
            return
        if deliver:
            self.stdout.write(f"attempted {notifications_sweep()} deliveries")
        for delivery in NotificationDelivery.objects.select_related("purchase")[:50]:
            about = f"purchase {delivery.purchase.vendor_id}" if delivery.purchase else f"S{delivery.subscription_id}"
            self.stdout.write(
                f"{delivery.pk} {delivery.kind} {about} copy {delivery.copy_no}: {delivery.state}, "
                f"{delivery.attempts} attempt(s), last HTTP {delivery.last_status or '-'}"
            )

    def _sweep_forever(self, *, every: float, passes: int | None) -> None:
        done = 0
        while passes is None or done < passes:
            close_old_connections()
            try:
                attempted = notifications_sweep()
            except DatabaseError as exc:
                self.stderr.write(f"the sweep stopped on a database error and goes on at the next pass: {exc}")
                attempted = 0
            if attempted:
                self.stdout.write(f"attempted {attempted} deliveries")
            done += 1
            if passes is None or done < passes:
                time.sleep(every)
