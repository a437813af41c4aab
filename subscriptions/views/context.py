"""What every customer page may show beside its own content: whom to contact, and in the demo the test clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from subscriptions.cleverbridge import client as cleverbridge

DEMO_CLOCK_KEY = "demo:sandbox-clock"
DEMO_CLOCK_SECONDS = 30
"""How long a read of the sandbox's clock is kept: the banner may lag the clock by this much."""
REAL_TIME_TOLERANCE = timedelta(minutes=2)


def support_contact(request: HttpRequest) -> dict:
    """`support`: the e-mail address, and the help page and phone number when set (settings.SUPPORT_CONTACT)."""
    return {"support": settings.SUPPORT_CONTACT}


def demo_clock(request: HttpRequest) -> dict:
    """`demo_clock`: where the sandbox's test clock stands when it is not real time, else None.

    A callable, so the clock is read only by a page that shows the banner (base.html), not by the admin's pages.
    """
    return {"demo_clock": _demo_clock}


def _demo_clock() -> datetime | None:
    if not (settings.DEMO_CLOCK_BANNER and settings.SANDBOX_ENABLED):
        return None
    try:
        stored = cache.get(DEMO_CLOCK_KEY)
        if stored is None:
            moment = cleverbridge.sandbox_clock()
            # Stored with the real time it was read at, so the clock's own running is not taken for an offset.
            stored = (moment, timezone.now())
            cache.set(DEMO_CLOCK_KEY, stored, DEMO_CLOCK_SECONDS)
        moment, read_at = stored
    except Exception:  # the banner is decoration: nothing about it may fail a page
        return None
    if moment is None or abs(moment - read_at) <= REAL_TIME_TOLERANCE:
        return None
    return moment
