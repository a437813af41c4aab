"""The vendor's request budget, shared by every app process on every host before any call to Cleverbridge.

The vendor allows 30 requests per second per egress IP, shared by all our servers behind it, blocks the caller for a
minute past that (429, `Retry-After: 60`) and advises at most 4 concurrent requests. So each call first takes a
permit here: a token from a bucket refilled at `CLEVERBRIDGE_RATE_PER_SECOND` (25) with a small burst
(`CLEVERBRIDGE_RATE_BURST`, 4 tokens; in any one second at most rate + burst = 29 calls), and one of
`CLEVERBRIDGE_MAX_CONCURRENT` (4) slots held under a lease that expires by itself. Commits come first: the classes
`commit` > `preview` > `read` > `anonymous` each leave a reserve of tokens and slots to the classes above them, so
page views can never use up what a customer's confirmation needs. A 429 makes every process stop calling until the
vendor's block is over. See docs/vendor-budget.md.

The state lives in Redis (one short Lua script per permit, atomic, timed by the Redis server's clock so that hosts
with skewed clocks agree) or, with no Redis configured, in this process's memory with the same algorithm. The
libraries `limits`, `pyrate-limiter` and `throttled-py` were considered: they give a rate per key, but neither
per-class reserves inside one bucket, nor leased concurrency slots, nor a shared blocked-until, and taking a token
and a slot together atomically would need a script of our own anyway; ours is about 60 lines of Lua.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger("subscriptions.cleverbridge")  # the name operators filter on, whichever module logs

VENDOR_LIMIT_PER_SECOND = 30
REDIS_CONNECT_TIMEOUT_SECONDS = 0.1
REDIS_SOCKET_TIMEOUT_SECONDS = 0.25
REPROBE_SECONDS = 5.0
SLOT_POLL_SECONDS = 0.05
KEY_PREFIX = "vendor-budget:"


class Kind(StrEnum):
    """Who is calling, highest priority first."""

    COMMIT = "commit"
    PREVIEW = "preview"
    READ = "read"
    ANONYMOUS = "anonymous"


# Tokens a class must leave in the bucket for the classes above it (capped at burst - 1).
RESERVED_TOKENS = {Kind.COMMIT: 0.0, Kind.PREVIEW: 1.0, Kind.READ: 2.0, Kind.ANONYMOUS: 3.0}
# How long a class may wait for a token or a slot before the page falls back to what it has.
MAX_WAIT_SECONDS = {Kind.COMMIT: 10.0, Kind.PREVIEW: 3.0, Kind.READ: 1.0, Kind.ANONYMOUS: 0.5}
# Sign-in lookups draw also from their own small bucket: this share of the rate, one token deep.
ANONYMOUS_SHARE = 0.2


class BudgetExhausted(Exception):
    """No token or slot came within the class's wait; `wait_seconds` is how long it would have taken."""

    def __init__(self, kind: Kind, wait_seconds: float):
        self.kind = kind
        self.wait_seconds = wait_seconds
        super().__init__(f"vendor budget exhausted for {kind}: about {wait_seconds:.2f} s to wait")


class VendorBlocked(Exception):
    """The vendor rate-limited us; nobody calls it until `until` (UTC), `seconds` from now by the budget's clock."""

    def __init__(self, until: datetime, seconds: float = 0.0):
        self.until = until
        self.seconds = seconds
        super().__init__(f"the vendor blocks our calls until {until.isoformat()}")


@dataclass(frozen=True)
class BudgetConfig:
    rate_per_second: float = 25.0
    burst: float = 4.0
    max_concurrent: int = 4
    lease_seconds: float = 25.0
    process_count_hint: int = 4
    redis_url: str = ""
    key_prefix: str = KEY_PREFIX

    def __post_init__(self):
        if not (self.rate_per_second > 0 and math.isfinite(self.rate_per_second)):
            raise ImproperlyConfigured(f"CLEVERBRIDGE_RATE_PER_SECOND must be above 0, not {self.rate_per_second}")
        if not (self.burst >= 1 and math.isfinite(self.burst)):
            raise ImproperlyConfigured(f"CLEVERBRIDGE_RATE_BURST must be at least 1, not {self.burst}")
        if self.rate_per_second + self.burst > VENDOR_LIMIT_PER_SECOND:
            raise ImproperlyConfigured(
                f"CLEVERBRIDGE_RATE_PER_SECOND + CLEVERBRIDGE_RATE_BURST ({self.rate_per_second} + {self.burst}) "
                f"must not exceed the vendor's {VENDOR_LIMIT_PER_SECOND} requests per second"
            )
        if self.max_concurrent < 1:
            raise ImproperlyConfigured(f"CLEVERBRIDGE_MAX_CONCURRENT must be at least 1, not {self.max_concurrent}")
        if self.process_count_hint < 1:
            raise ImproperlyConfigured(
                f"CLEVERBRIDGE_PROCESS_COUNT_HINT must be at least 1, not {self.process_count_hint}"
            )
        if not self.lease_seconds > 0:
            raise ImproperlyConfigured(f"the lease must be above 0 seconds, not {self.lease_seconds}")


@dataclass(frozen=True)
class Rule:
    """What one class may take: tokens above `floor`, slots below `slot_cap`, and its own share bucket if any."""

    rate: float
    burst: float
    floor: float
    slot_cap: int
    share_rate: float
    share_burst: float


@dataclass(frozen=True)
class Limits:
    rate: float
    burst: float
    max_concurrent: int

    def rule(self, kind: Kind) -> Rule:
        slot_cap = {
            Kind.COMMIT: self.max_concurrent,
            Kind.PREVIEW: max(1, self.max_concurrent - 1),
            Kind.READ: max(1, self.max_concurrent - 1),
            Kind.ANONYMOUS: 1,
        }[kind]
        share_rate = self.rate * ANONYMOUS_SHARE if kind is Kind.ANONYMOUS else 0.0
        return Rule(
            rate=self.rate,
            burst=self.burst,
            floor=min(RESERVED_TOKENS[kind], self.burst - 1),
            slot_cap=slot_cap,
            share_rate=share_rate,
            share_burst=1.0 if share_rate else 0.0,
        )


@dataclass(frozen=True)
class Outcome:
    """One attempt: granted, or why not (`blocked`, `slots`, `tokens`) and for how long (seconds)."""

    status: str
    wait: float = 0.0
    now: float = 0.0
    tokens: float = 0.0
    in_flight: int = 0
    blocked_until: float = 0.0


@dataclass(frozen=True)
class StoreState:
    tokens: float
    in_flight: int
    blocked_until: float | None


class Store(Protocol):
    def acquire(self, *, rule: Rule, lease_id: str, lease_seconds: float, now: float | None) -> Outcome: ...
    def release(self, *, lease_id: str) -> None: ...
    def block(self, *, seconds: float, now: float | None) -> float: ...
    def state(self, *, rate: float, burst: float, now: float | None) -> StoreState: ...


class LocalStore:
    """The same algorithm in this process's memory: one process, any number of threads."""

    def __init__(self, *, clock: Callable[[], float]):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._leases: dict[str, float] = {}
        self._blocked_until = 0.0

    def _level(self, name: str, rate: float, burst: float, now: float) -> float:
        if name not in self._buckets:
            return burst
        level, at = self._buckets[name]
        return min(burst, level + (now - at) * rate) if now > at else level

    def acquire(self, *, rule: Rule, lease_id: str, lease_seconds: float, now: float | None) -> Outcome:
        with self._lock:
            now = self._clock() if now is None else now
            if self._blocked_until > now:
                return Outcome("blocked", now=now, blocked_until=self._blocked_until)
            self._leases = {lease: expiry for lease, expiry in self._leases.items() if expiry > now}
            in_flight = len(self._leases)
            if in_flight >= rule.slot_cap:
                return Outcome("slots", wait=min(self._leases.values()) - now, now=now, in_flight=in_flight)
            level = self._level("tokens", rule.rate, rule.burst, now)
            if level < 1 + rule.floor:
                return Outcome("tokens", wait=(1 + rule.floor - level) / rule.rate, now=now, tokens=level)
            if rule.share_rate:
                share = self._level("share", rule.share_rate, rule.share_burst, now)
                if share < 1:
                    return Outcome("tokens", wait=(1 - share) / rule.share_rate, now=now, tokens=level)
                self._buckets["share"] = (share - 1, now)
            self._buckets["tokens"] = (level - 1, now)
            self._leases[lease_id] = now + lease_seconds
            return Outcome("granted", now=now, tokens=level - 1, in_flight=in_flight + 1)

    def release(self, *, lease_id: str) -> None:
        with self._lock:
            self._leases.pop(lease_id, None)

    def block(self, *, seconds: float, now: float | None) -> float:
        with self._lock:
            now = self._clock() if now is None else now
            self._blocked_until = max(self._blocked_until, now + seconds)
            return self._blocked_until

    def blocked_until(self, *, now: float | None) -> float | None:
        with self._lock:
            now = self._clock() if now is None else now
            return self._blocked_until if self._blocked_until > now else None

    def state(self, *, rate: float, burst: float, now: float | None) -> StoreState:
        with self._lock:
            now = self._clock() if now is None else now
            in_flight = sum(1 for expiry in self._leases.values() if expiry > now)
            blocked = self._blocked_until if self._blocked_until > now else None
            return StoreState(
                tokens=self._level("tokens", rate, burst, now), in_flight=in_flight, blocked_until=blocked
            )


# Times are whole microseconds (exact in a Lua double); numbers are written with %.17g so none is rounded.
# ARGV[1] is the caller's time, or '' for the Redis server's own clock.
_CLOCK_LUA = """
local function clock()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function num(x) return string.format('%.17g', x) end
local function level(key, rate, burst, now)
  local s = redis.call('HMGET', key, 'level', 'at')
  local lvl, at = tonumber(s[1]), tonumber(s[2])
  if lvl == nil then return burst end
  if now > at then lvl = math.min(burst, lvl + (now - at) * rate / 1000000) end
  return lvl
end
"""

# KEYS: tokens, share, leases, blocked-until.
# ARGV: now, rate, burst, floor, share rate, share burst, slot cap, lease (us), lease id.
_ACQUIRE_LUA = (
    _CLOCK_LUA
    + """
local now = clock()
local rate, burst, floor = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local share_rate, share_burst = tonumber(ARGV[5]), tonumber(ARGV[6])
local slot_cap, lease = tonumber(ARGV[7]), tonumber(ARGV[8])
local blocked = tonumber(redis.call('GET', KEYS[4]) or '0')
if blocked > now then return {'blocked', num(now), num(blocked)} end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local in_flight = redis.call('ZCARD', KEYS[3])
if in_flight >= slot_cap then
  local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  return {'slots', num(now), num(tonumber(first[2]) - now), tostring(in_flight)}
end
local lvl = level(KEYS[1], rate, burst, now)
if lvl < 1 + floor then
  return {'tokens', num(now), num((1 + floor - lvl) * 1000000 / rate), num(lvl)}
end
local keep = 60000 + math.ceil(burst * 1000 / rate)
if share_rate > 0 then
  local share = level(KEYS[2], share_rate, share_burst, now)
  if share < 1 then return {'tokens', num(now), num((1 - share) * 1000000 / share_rate), num(lvl)} end
  redis.call('HSET', KEYS[2], 'level', num(share - 1), 'at', num(now))
  redis.call('PEXPIRE', KEYS[2], 60000 + math.ceil(share_burst * 1000 / share_rate))
end
redis.call('HSET', KEYS[1], 'level', num(lvl - 1), 'at', num(now))
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('ZADD', KEYS[3], num(now + lease), ARGV[9])
local ttl = math.ceil(lease / 1000) + 1000
if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
return {'granted', num(now), num(lvl - 1), tostring(in_flight + 1)}
"""
)

# KEYS: blocked-until. ARGV: now, seconds (us). Keeps the later of two blocks; the key expires with the block.
_BLOCK_LUA = (
    _CLOCK_LUA
    + """
local now = clock()
local untl = now + tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > current then
  redis.call('SET', KEYS[1], num(untl), 'PX', math.max(1, math.ceil((untl - now) / 1000)))
  return num(untl)
end
return num(current)
"""
)

# KEYS: tokens, leases, blocked-until. ARGV: now, rate, burst. Reads only.
_STATE_LUA = (
    _CLOCK_LUA
    + """
local now = clock()
local lvl = level(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]), now)
local in_flight = redis.call('ZCOUNT', KEYS[2], '(' .. num(now), '+inf')
local blocked = tonumber(redis.call('GET', KEYS[3]) or '0')
return {num(now), num(lvl), tostring(in_flight), num(blocked)}
"""
)


def _us(seconds: float) -> int:
    return round(seconds * 1_000_000)


class RedisStore:
    """The budget every process shares, kept in Redis and changed only by the scripts above."""

    def __init__(self, *, client: redis.Redis, key_prefix: str):
        self._client = client
        self._keys = {name: f"{key_prefix}{name}" for name in ("tokens", "share", "leases", "blocked-until")}
        self._acquire = client.register_script(_ACQUIRE_LUA)
        self._block = client.register_script(_BLOCK_LUA)
        self._state = client.register_script(_STATE_LUA)

    @staticmethod
    def _now_arg(now: float | None) -> str:
        return "" if now is None else str(_us(now))

    def acquire(self, *, rule: Rule, lease_id: str, lease_seconds: float, now: float | None) -> Outcome:
        keys = self._keys
        reply = self._acquire(
            keys=[keys["tokens"], keys["share"], keys["leases"], keys["blocked-until"]],
            args=[
                self._now_arg(now),
                repr(rule.rate),
                repr(rule.burst),
                repr(rule.floor),
                repr(rule.share_rate),
                repr(rule.share_burst),
                rule.slot_cap,
                _us(lease_seconds),
                lease_id,
            ],
        )
        status, at, *rest = (part.decode() if isinstance(part, bytes) else part for part in reply)
        at_seconds = float(at) / 1_000_000
        if status == "blocked":
            return Outcome(status, now=at_seconds, blocked_until=float(rest[0]) / 1_000_000)
        if status == "slots":
            return Outcome(status, wait=float(rest[0]) / 1_000_000, now=at_seconds, in_flight=int(rest[1]))
        if status == "tokens":
            return Outcome(status, wait=float(rest[0]) / 1_000_000, now=at_seconds, tokens=float(rest[1]))
        return Outcome(status, now=at_seconds, tokens=float(rest[0]), in_flight=int(rest[1]))

    def release(self, *, lease_id: str) -> None:
        self._client.zrem(self._keys["leases"], lease_id)

    def block(self, *, seconds: float, now: float | None) -> float:
        reply = self._block(keys=[self._keys["blocked-until"]], args=[self._now_arg(now), _us(seconds)])
        return float(reply) / 1_000_000

    def state(self, *, rate: float, burst: float, now: float | None) -> StoreState:
        keys = self._keys
        reply = self._state(
            keys=[keys["tokens"], keys["leases"], keys["blocked-until"]],
            args=[self._now_arg(now), repr(rate), repr(burst)],
        )
        at, level, in_flight, blocked = (float(part) for part in reply)
        return StoreState(
            tokens=level, in_flight=int(in_flight), blocked_until=blocked / 1_000_000 if blocked > at else None
        )


def redis_client_for(url: str) -> redis.Redis:
    """A client that fails in milliseconds and never retries: a dead Redis must not slow a page down."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
        socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


@dataclass(frozen=True)
class Permit:
    kind: Kind
    lease_id: str
    granted_at: datetime
    backend: str
    store: Store = field(repr=False, compare=False)


@dataclass(frozen=True)
class BudgetState:
    backend: str
    tokens: float
    in_flight: int
    blocked_until: datetime | None
    rate_per_second: float
    burst: float
    max_concurrent: int


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


class VendorBudget:
    """One per process (see `get_budget`); every call to the vendor runs inside `permit()`.

    `clock` (epoch seconds) and `sleep` are for tests: by default Redis keeps time and the waits are real.
    """

    def __init__(
        self,
        config: BudgetConfig,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        redis_client: redis.Redis | None = None,
    ):
        self.config = config
        self._clock = clock
        self._sleep = sleep
        self._elapsed = clock or time.monotonic
        self._limits = Limits(config.rate_per_second, config.burst, config.max_concurrent)
        local_clock = clock or time.time
        self._local_clock = local_clock
        if redis_client is None and config.redis_url:
            redis_client = redis_client_for(config.redis_url)
        if redis_client is None:
            self._redis: RedisStore | None = None
            self._local = LocalStore(clock=local_clock)
            self._local_limits = self._limits
        else:
            self._redis = RedisStore(client=redis_client, key_prefix=config.key_prefix)
            self._local = LocalStore(clock=local_clock)
            hint = config.process_count_hint
            self._local_limits = Limits(config.rate_per_second / hint, max(1.0, config.burst / hint), 1)
        self._lock = threading.Lock()
        self._degraded = False
        self._next_probe = 0.0

    @property
    def backend(self) -> str:
        if self._redis is None:
            return "local"
        return "local-fallback" if self._degraded else "redis"

    def _now(self) -> float | None:
        return None if self._clock is None else self._clock()

    def _use_redis(self) -> bool:
        with self._lock:
            return self._redis is not None and (not self._degraded or self._elapsed() >= self._next_probe)

    def _redis_failed(self, error: Exception) -> None:
        with self._lock:
            self._next_probe = self._elapsed() + REPROBE_SECONDS
            if not self._degraded:
                self._degraded = True
                hint = self.config.process_count_hint
                logger.warning(
                    "vendor budget: Redis is not answering (%s); this process now keeps a local share "
                    "(1/%d of the rate, 1 call at a time) until it answers again",
                    error,
                    hint,
                )

    def _redis_answered(self) -> None:
        with self._lock:
            if self._degraded:
                self._degraded = False
                logger.warning("vendor budget: Redis answers again; the shared budget is back in use")

    def _attempt(self, kind: Kind, lease_id: str, lease_seconds: float) -> tuple[Outcome, Store, str]:
        remembered_block = self._local.blocked_until(now=self._now())
        if remembered_block is not None:
            now = self._local_clock()
            return Outcome("blocked", now=now, blocked_until=remembered_block), self._local, self.backend
        if self._use_redis():
            try:
                outcome = self._redis.acquire(
                    rule=self._limits.rule(kind), lease_id=lease_id, lease_seconds=lease_seconds, now=self._now()
                )
            except redis.RedisError as error:
                self._redis_failed(error)
            else:
                self._redis_answered()
                return outcome, self._redis, "redis"
        outcome = self._local.acquire(
            rule=self._local_limits.rule(kind), lease_id=lease_id, lease_seconds=lease_seconds, now=self._now()
        )
        return outcome, self._local, self.backend

    def acquire(self, *, kind: Kind | str, max_wait: float | None = None, lease_seconds: float | None = None) -> Permit:
        """Take a token and a slot, waiting at most the class's wait; raise rather than call over budget."""
        kind = Kind(kind)
        max_wait = MAX_WAIT_SECONDS[kind] if max_wait is None else max_wait
        lease_seconds = self.config.lease_seconds if lease_seconds is None else lease_seconds
        lease_id = uuid.uuid4().hex
        deadline = self._elapsed() + max_wait
        while True:
            outcome, store, backend = self._attempt(kind, lease_id, lease_seconds)
            if outcome.status == "granted":
                return Permit(kind=kind, lease_id=lease_id, granted_at=_utc(outcome.now), backend=backend, store=store)
            if outcome.status == "blocked":
                raise VendorBlocked(_utc(outcome.blocked_until), max(0.0, outcome.blocked_until - outcome.now))
            remaining = deadline - self._elapsed()
            if outcome.status == "tokens" and outcome.wait > remaining:
                raise BudgetExhausted(kind, outcome.wait)
            if remaining <= 0:
                raise BudgetExhausted(kind, outcome.wait)
            pause = outcome.wait if outcome.status == "tokens" else min(SLOT_POLL_SECONDS, outcome.wait)
            self._sleep(min(max(pause, 0.001), remaining))

    def release(self, permit: Permit) -> None:
        """Give the slot back; if Redis is gone the lease simply runs out."""
        try:
            permit.store.release(lease_id=permit.lease_id)
        except redis.RedisError as error:
            self._redis_failed(error)

    @contextmanager
    def permit(
        self, *, kind: Kind | str = Kind.READ, max_wait: float | None = None, lease_seconds: float | None = None
    ) -> Iterator[Permit]:
        """`with budget.permit(kind="read"):` around one HTTP call to the vendor (each retry takes its own)."""
        permit = self.acquire(kind=kind, max_wait=max_wait, lease_seconds=lease_seconds)
        try:
            yield permit
        finally:
            self.release(permit)

    def blocked(self, retry_after_seconds: float) -> datetime:
        """The vendor answered 429: nobody calls it again before the block is over."""
        until = self._local.block(seconds=retry_after_seconds, now=self._now())
        if self._use_redis():
            try:
                until = self._redis.block(seconds=retry_after_seconds, now=self._now())
            except redis.RedisError as error:
                self._redis_failed(error)
            else:
                self._redis_answered()
        logger.warning("vendor budget: the vendor rate-limited us; no calls until %s", _utc(until).isoformat())
        return _utc(until)

    def state(self) -> BudgetState:
        """For the admin and the health page: what is left right now."""
        limits = self._limits
        store_state = None
        if self._use_redis():
            try:
                store_state = self._redis.state(rate=limits.rate, burst=limits.burst, now=self._now())
            except redis.RedisError as error:
                self._redis_failed(error)
            else:
                self._redis_answered()
        if store_state is None:
            limits = self._local_limits
            store_state = self._local.state(rate=limits.rate, burst=limits.burst, now=self._now())
        return BudgetState(
            backend=self.backend,
            tokens=store_state.tokens,
            in_flight=store_state.in_flight,
            blocked_until=None if store_state.blocked_until is None else _utc(store_state.blocked_until),
            rate_per_second=limits.rate,
            burst=limits.burst,
            max_concurrent=limits.max_concurrent,
        )


def config_from_settings() -> BudgetConfig:
    return BudgetConfig(
        rate_per_second=settings.CLEVERBRIDGE_RATE_PER_SECOND,
        burst=settings.CLEVERBRIDGE_RATE_BURST,
        max_concurrent=settings.CLEVERBRIDGE_MAX_CONCURRENT,
        lease_seconds=settings.CLEVERBRIDGE_CONNECT_TIMEOUT + settings.CLEVERBRIDGE_READ_TIMEOUT,
        process_count_hint=settings.CLEVERBRIDGE_PROCESS_COUNT_HINT,
        redis_url=settings.VENDOR_BUDGET_REDIS_URL,
    )


_budget: VendorBudget | None = None
_budget_lock = threading.Lock()


def get_budget() -> VendorBudget:
    """This process's budget, built from settings on first use."""
    global _budget
    with _budget_lock:
        if _budget is None:
            _budget = VendorBudget(config_from_settings())
        return _budget


def set_budget(budget: VendorBudget | None) -> None:
    """Make `budget` this process's budget (tests give theirs a clock that only their waits move)."""
    global _budget
    with _budget_lock:
        _budget = budget


def reset_budget() -> None:
    """Forget this process's budget (tests, or after the settings changed)."""
    set_budget(None)


_BUDGET_SETTINGS = {
    "CLEVERBRIDGE_RATE_PER_SECOND",
    "CLEVERBRIDGE_RATE_BURST",
    "CLEVERBRIDGE_MAX_CONCURRENT",
    "CLEVERBRIDGE_PROCESS_COUNT_HINT",
    "VENDOR_BUDGET_REDIS_URL",
}


@receiver(setting_changed)
def _follow_settings(*, setting: str, **kwargs: object) -> None:
    if setting in _BUDGET_SETTINGS:
        reset_budget()
