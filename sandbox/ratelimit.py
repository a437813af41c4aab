"""The vendor's rate limit: N requests per second per source IP (IPv6 per /64), then a block.

State lives in Django's cache; time comes from `current_time()` so tests can move it without sleeping.
"""

from __future__ import annotations

import ipaddress
import math
import time

from django.conf import settings
from django.core.cache import cache

KEY_PREFIX = "sandbox:ratelimit"


def current_time() -> float:
    return time.time()


def caller_key(remote_addr: str) -> str:
    """IPv4 callers are counted per address, IPv6 callers per /64 network, as the vendor does."""
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return remote_addr or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def retry_after(remote_addr: str) -> int | None:
    """Count one request; return the seconds to wait if the caller is over the limit, else None."""
    limit = getattr(settings, "SANDBOX_RATE_LIMIT_PER_SECOND", 30)
    if limit <= 0:
        return None
    block_seconds = getattr(settings, "SANDBOX_RATE_LIMIT_BLOCK_SECONDS", 60)
    caller = caller_key(remote_addr)
    now = current_time()
    block_key = f"{KEY_PREFIX}:block:{caller}"
    blocked_until = cache.get(block_key)
    if blocked_until is not None and now < blocked_until:
        return max(1, math.ceil(blocked_until - now))

    window_key = f"{KEY_PREFIX}:count:{caller}:{math.floor(now)}"
    cache.add(window_key, 0, timeout=5)
    try:
        count = cache.incr(window_key)
    except ValueError:
        cache.set(window_key, 1, timeout=5)
        count = 1
    if count <= limit:
        return None
    cache.set(block_key, now + block_seconds, timeout=block_seconds + 5)
    return block_seconds
