from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from sandbox.clock import (
    clock_advance,
    clock_freeze,
    clock_is_frozen,
    clock_now,
    clock_release,
    format_moment,
    parse_moment,
)


class Command(BaseCommand):
    help = "Show or move sandbox time: --set ISO freezes it, --advance SECONDS moves it, --real releases it."

    def add_arguments(self, parser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--set", metavar="ISO", help="freeze sandbox time at this moment (UTC if no offset)")
        group.add_argument("--advance", metavar="SECONDS", help="move sandbox time by this many seconds")
        group.add_argument("--real", action="store_true", help="return to real time")

    def handle(self, *args, set: str | None, advance: str | None, real: bool, **options) -> str:
        if set is not None:
            try:
                clock_freeze(at=parse_moment(set))
            except ValueError:
                raise CommandError(f"Not an ISO 8601 timestamp: {set!r}") from None
        elif advance is not None:
            try:
                step = Decimal(advance)
            except InvalidOperation:
                raise CommandError(f"Not a number of seconds: {advance!r}") from None
            clock_advance(by=timedelta(microseconds=int(step * 1_000_000)))
        elif real:
            clock_release()
        state = "frozen" if clock_is_frozen() else "running"
        return f"{format_moment(clock_now())} ({state})"
