"""Throttles every process shares: how often one address, one IP or one API key may ask for something.

Counts live in Django's cache, so with `CACHE_URL` on Redis every worker on every host counts into the same number
(a per-process count let 4 workers send 12 sign-in e-mails to one address instead of 3). The demo's local-memory
cache counts for its one web process, which is all it has.

Fixed windows: a counter's key names its window, `cache.add` creates it at 0 and `cache.incr` counts (Redis `INCR`,
atomic across connections; locmem under its lock), so two processes can never both take the last place. Because
the window is in the key, a counter is never read again after its window, and its expiry (two windows) only
reclaims the memory. A fixed window lets a burst of up to twice the limit through across a window's edge; for
limits meant to stop floods and mail bombs that is accepted for one round trip per request.

A leaf: it imports Django's cache and settings, nothing of ours.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.http import HttpRequest

__all__ = [
    "Limit",
    "Verdict",
    "client_ip",
    "clock",
    "portal_ip_limit",
    "portal_key_limit",
    "sign_in_address_limit",
    "sign_in_ip_limit",
    "throttle_hit",
]

KEY_PREFIX = "throttle"


@dataclass(frozen=True)
class Limit:
    """At most `count` requests per `seconds` for each subject in `scope`."""

    scope: str
    count: int
    seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int
    """Whole seconds until the window ends and the subject may ask again."""

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def clock() -> float:
    """Epoch seconds; tests replace it to move between windows without waiting."""
    return time.time()


def throttle_hit(*, limit: Limit, subject: str, store: BaseCache | None = None, now: float | None = None) -> Verdict:
    """Count one request by `subject` (an address, an IP, a key id) and say whether it is within `limit`.

    Every request counts, refused ones too: a flood keeps itself refused until its window ends.
    """
    store = store if store is not None else cache
    now = clock() if now is None else now
    window = int(now // limit.seconds)
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    key = f"{KEY_PREFIX}:{limit.scope}:{window}:{digest}"
    count = _count(store, key, timeout=2 * limit.seconds)
    retry_after = max(1, math.ceil((window + 1) * limit.seconds - now))
    return Verdict(allowed=count <= limit.count, count=count, retry_after=retry_after)


def _count(store: BaseCache, key: str, *, timeout: int) -> int:
    for _attempt in range(3):
        store.add(key, 0, timeout=timeout)
        try:
            return store.incr(key)
        except ValueError:
            continue  # evicted between add and incr: create it again
    raise RuntimeError(f"the cache keeps losing the throttle counter {key}")


def sign_in_address_limit() -> Limit:
    return Limit("sign-in-address", settings.SIGN_IN_EMAILS_PER_ADDRESS, settings.SIGN_IN_THROTTLE_MINUTES * 60)


def sign_in_ip_limit() -> Limit:
    return Limit("sign-in-ip", settings.SIGN_IN_REQUESTS_PER_IP, settings.SIGN_IN_THROTTLE_MINUTES * 60)


def portal_key_limit() -> Limit:
    return Limit("portal-key", settings.PORTAL_SESSIONS_PER_KEY, settings.PORTAL_THROTTLE_MINUTES * 60)


def portal_ip_limit() -> Limit:
    return Limit("portal-ip", settings.PORTAL_SESSIONS_PER_IP, settings.PORTAL_THROTTLE_MINUTES * 60)


def client_ip(request: HttpRequest) -> str:
    """The address the request came from: `REMOTE_ADDR`, or with `TRUSTED_PROXY_COUNT` proxies in front, the address
    the outermost of them saw, read from `X-Forwarded-For` counting from the right.

    Entries further left were written by the client and can be anything; a request with fewer entries than proxies
    did not come through them all, and counts under `REMOTE_ADDR`.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
