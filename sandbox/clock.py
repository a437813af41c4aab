"""Sandbox time, like Stripe's test clocks: every piece of sandbox logic asks here, never timezone.now().

Kept in the database so that the web server, management commands and tests all see the same time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from sandbox.models import SandboxClock


def real_now() -> datetime:
    return timezone.now()


def _clock() -> SandboxClock:
    clock, _ = SandboxClock.objects.get_or_create(pk=1)
    return clock


def clock_now() -> datetime:
    clock = SandboxClock.objects.filter(pk=1).first()
    if clock is None:
        return real_now()
    if clock.frozen_at is not None:
        return clock.frozen_at
    return real_now() + timedelta(microseconds=clock.offset_microseconds)


def clock_is_frozen() -> bool:
    return SandboxClock.objects.filter(pk=1, frozen_at__isnull=False).exists()


def clock_freeze(*, at: datetime) -> datetime:
    clock = _clock()
    clock.frozen_at = at
    clock.offset_microseconds = 0
    clock.save()
    return at


def clock_advance(*, by: timedelta) -> datetime:
    """Move sandbox time forward (or back, with a negative span), frozen or not."""
    clock = _clock()
    if clock.frozen_at is not None:
        clock.frozen_at += by
    else:
        clock.offset_microseconds += by // timedelta(microseconds=1)
    clock.save()
    return clock_now()


def clock_release() -> datetime:
    """Back to real time, with no offset."""
    SandboxClock.objects.filter(pk=1).delete()
    return real_now()


def parse_moment(text: str) -> datetime:
    """An ISO 8601 timestamp; one without an offset is UTC, as in the vendor's JSON."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_moment(moment: datetime) -> str:
    """UTC with a Z, microseconds only when there are any (for the control API and commands)."""
    moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds") + "Z"
