"""The vendor's subscription reads, kept in the shared cache with a stated staleness bound.

Every app process on every host draws on one vendor budget (docs/vendor-budget.md), so a page view should not spend
a call on a subscription another process read a moment ago, and a page should still show something when the vendor
may not be called. This module keeps what `getsubscription` and `getsubscriptionsforcustomer` answered in Django's
cache (Redis when `CACHE_URL` is Redis, this process's memory otherwise), as JSON of a shape it controls.

- An entry younger than `VENDOR_CACHE_FRESH_SECONDS` (60 s) is **fresh** and served without a call.
- An older one, up to `VENDOR_CACHE_KEEP_SECONDS` (24 h), is the **last known** state: served, with `fresh=False`
  and its `fetched_at`, only when the call may not be made (one of the caller's `fallback_on` errors). Never plan,
  check a price or commit on it; a forced read (`max_age=0`) never falls back.
- `invalidate()` and `invalidate_customer()` make the next read call the vendor, in every process. A read that was
  already under way when the invalidation happened cannot put its older answer back as fresh.
- When many requests miss the same entry at once, one calls the vendor and the others wait for its answer.

How it is meant to be called (the caller owns the client and the budget; this module never calls the vendor itself):

    read = vendor_cache.subscription(
        subscription_id,
        fetch=lambda: get_client().get_subscription(subscription_id),   # draws on the shared budget
        fallback_on=(Unavailable,),                                     # the client's word for "not now"
    )
    read.value, read.fetched_at, read.fresh       # a page shows "as of <fetched_at>" when not fresh

    vendor_cache.customer_subscriptions(vendor_customer_id, fetch=..., fallback_on=...)  # warms each subscription
    vendor_cache.subscription(subscription_id, fetch=..., max_age=0)                     # before planning a commit
    vendor_cache.invalidate(subscription_id)     # after our own commit, and on every notification about it
    vendor_cache.invalidate_customer(vendor_customer_id)

See docs/vendor-cache.md for the keys and the reasoning.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import secrets
import time
import types
import typing
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.cache import BaseCache, caches

from subscriptions.cleverbridge import Subscription

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
"""Raise it when the stored JSON changes meaning; entries of another version are then simply not found."""
KEY_PREFIX = "vendor-cache:"
LOCK_SECONDS = 5
"""How long one request may hold the right to refresh an entry before another may take it over."""
WAIT_SECONDS = 2.0
"""How long the other requests wait for that refresh before showing the last known state (or calling themselves)."""
POLL_SECONDS = 0.05
COUNTER_KEY = f"{KEY_PREFIX}invalidations"

T = TypeVar("T")
Fallback = tuple[type[BaseException], ...]


@dataclass(frozen=True)
class Cached(Generic[T]):
    """A read: the value, when the vendor said it, and whether that is within the staleness bound asked for."""

    value: T
    fetched_at: datetime
    fresh: bool


# --- The stored form -----------------------------------------------------------


@functools.cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _encode(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {field.name: _encode(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime cannot be stored: {value!r}")
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(element) for element in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"cannot store a {type(value).__name__}")


def _decode(kind: Any, data: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(kind)
        if data is None and type(None) in options:
            return None
        (inner,) = (option for option in options if option is not type(None))
        return _decode(inner, data)
    if origin is tuple:
        (element, _) = typing.get_args(kind)
        return tuple(_decode(element, item) for item in data)
    if is_dataclass(kind):
        hints = _hints(kind)
        return kind(**{field.name: _decode(hints[field.name], data[field.name]) for field in fields(kind)})
    if kind is Decimal:
        return Decimal(data)
    if kind is datetime:
        parsed = datetime.fromisoformat(data)
        if parsed.tzinfo is None:
            raise ValueError(f"a stored datetime lost its zone: {data!r}")
        return parsed
    if kind in (bool, int, str) and type(data) is kind:
        return data
    raise ValueError(f"{data!r} is not a {kind}")


def _shape(kind: Any) -> str:
    """The stored form's shape, so that code with another `Subscription` never reads this code's entries."""
    if is_dataclass(kind):
        hints = _hints(kind)
        inner = ",".join(f"{field.name}:{_shape(hints[field.name])}" for field in fields(kind))
        return f"{kind.__name__}({inner})"
    arguments = typing.get_args(kind)
    if arguments:
        return f"{typing.get_origin(kind)}[{','.join(_shape(argument) for argument in arguments)}]"
    return getattr(kind, "__name__", repr(kind))


def schema_tag() -> str:
    digest = hashlib.sha256(_shape(Subscription).encode()).hexdigest()[:12]
    return f"v{SCHEMA_VERSION}-{digest}"


def subscription_to_dict(subscription: Subscription) -> dict[str, Any]:
    return _encode(subscription)


def subscription_from_dict(data: dict[str, Any]) -> Subscription:
    return _decode(Subscription, data)


# --- Entries -------------------------------------------------------------------


@dataclass(frozen=True)
class _Mark:
    """Who may trust an entry: entries carry the `epoch` they were stored under; invalidating draws a new one.

    `numbered` is the invalidation counter's value when the epoch was drawn: a read that took its counter value
    before that saw the vendor before the invalidation, and is not stored.
    """

    epoch: str
    numbered: int

    def dump(self) -> str:
        return f"{self.epoch}:{self.numbered}"

    @classmethod
    def load(cls, raw: Any) -> _Mark | None:
        if not isinstance(raw, str) or raw.count(":") != 1:
            return None
        epoch, numbered = raw.split(":")
        return cls(epoch, int(numbered)) if numbered.isdigit() else None


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    fetched_at: datetime
    trusted: bool


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, not {now!r}")
    return now


def _age_seconds(fetched_at: datetime, now: datetime) -> float:
    return (now - fetched_at).total_seconds()


class VendorCache:
    """The cache on one Django cache connection; `sleep` is for tests, which never wait on the wall clock."""

    def __init__(
        self,
        *,
        cache: BaseCache,
        fresh_seconds: int,
        keep_seconds: int,
        lock_seconds: int = LOCK_SECONDS,
        wait_seconds: float = WAIT_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.cache = cache
        self.fresh_seconds = fresh_seconds
        self.keep_seconds = keep_seconds
        self.lock_seconds = lock_seconds
        self.polls = max(0, round(wait_seconds / poll_seconds))
        self.poll_seconds = poll_seconds
        self.sleep = sleep
        self.schema = schema_tag()

    # Keys

    def _entry_key(self, kind: str, key_id: int | str) -> str:
        return f"{KEY_PREFIX}{self.schema}:{kind}:{key_id}"

    @staticmethod
    def _mark_key(kind: str, key_id: int | str) -> str:
        return f"{KEY_PREFIX}mark:{kind}:{key_id}"

    @staticmethod
    def _lock_key(kind: str, key_id: int | str) -> str:
        return f"{KEY_PREFIX}lock:{kind}:{key_id}"

    # Invalidation

    def _counter(self) -> int:
        """The invalidation counter; a lost one starts again above every value it had, from the clock in µs."""
        value = self.cache.get(COUNTER_KEY)
        if isinstance(value, int):
            return value
        self.cache.add(COUNTER_KEY, time.time_ns() // 1000, timeout=None)
        return int(self.cache.get(COUNTER_KEY) or 0)

    def _next_number(self) -> int:
        self._counter()
        try:
            return self.cache.incr(COUNTER_KEY)
        except ValueError:
            self.cache.add(COUNTER_KEY, time.time_ns() // 1000, timeout=None)
            return self.cache.incr(COUNTER_KEY)

    def _renew_mark(self, kind: str, key_id: int | str) -> None:
        mark = _Mark(secrets.token_hex(8), self._next_number())
        self.cache.set(self._mark_key(kind, key_id), mark.dump(), timeout=self.keep_seconds)

    def invalidate(self, subscription_id: int) -> None:
        """The subscription changed (our commit, a notification): its entry and every list holding it are not fresh."""
        self._renew_mark("subscription", subscription_id)

    def invalidate_customer(self, vendor_customer_id: int) -> None:
        """The customer's list of subscriptions changed (a subscription was bought or ended)."""
        self._renew_mark("customer", vendor_customer_id)

    def _marks(self, kind: str, key_ids: Sequence[int | str], *, create: bool) -> dict[int | str, _Mark | None]:
        keys = {self._mark_key(kind, key_id): key_id for key_id in key_ids}
        found = self.cache.get_many(list(keys))
        marks = {key_id: _Mark.load(found.get(key)) for key, key_id in keys.items()}
        if create and any(mark is None for mark in marks.values()):
            for key, key_id in keys.items():
                if marks[key_id] is None:
                    self.cache.add(key, _Mark(secrets.token_hex(8), 0).dump(), timeout=self.keep_seconds)
            return self._marks(kind, key_ids, create=False)
        return marks

    # Subscriptions

    def _load_subscription(self, subscription_id: int, now: datetime) -> _Entry[Subscription] | None:
        keys = [self._entry_key("subscription", subscription_id), self._mark_key("subscription", subscription_id)]
        found = self.cache.get_many(keys)
        return self._subscription_entry(found.get(keys[0]), found.get(keys[1]), now=now)

    def _subscription_entry(self, raw: Any, raw_mark: Any, *, now: datetime) -> _Entry[Subscription] | None:
        parsed = self._parse(raw, now)
        if parsed is None:
            return None
        stored, fetched_at, epoch = parsed
        try:
            value = subscription_from_dict(stored["subscription"])
        except (KeyError, TypeError, ValueError, ArithmeticError):
            logger.warning("vendor cache: an unreadable subscription entry, treated as missing")
            return None
        mark = _Mark.load(raw_mark)
        return _Entry(value, fetched_at, trusted=mark is not None and mark.epoch == epoch)

    def _parse(self, raw: Any, now: datetime) -> tuple[dict[str, Any], datetime, str] | None:
        if not isinstance(raw, str):
            return None
        try:
            stored = json.loads(raw)
            if stored["schema"] != self.schema:
                return None
            fetched_at = datetime.fromisoformat(stored["fetched_at"])
            epoch = stored["epoch"]
        except (KeyError, TypeError, ValueError):
            return None
        if fetched_at.tzinfo is None or _age_seconds(fetched_at, now) > self.keep_seconds:
            return None
        return stored, fetched_at, epoch

    def _dump(self, *, fetched_at: datetime, epoch: str, **content: Any) -> str:
        return json.dumps({"schema": self.schema, "fetched_at": fetched_at.isoformat(), "epoch": epoch, **content})

    def _store_subscriptions(
        self, subscriptions: Sequence[Subscription], *, numbered_before: int, fetched_at: datetime
    ) -> dict[int, str] | None:
        """Store what the vendor said, unless one of them was invalidated while we asked; returns their epochs."""
        marks = self._marks("subscription", [subscription.id for subscription in subscriptions], create=True)
        if any(mark is None or mark.numbered > numbered_before for mark in marks.values()):
            return None
        epochs = {subscription.id: marks[subscription.id].epoch for subscription in subscriptions}
        self.cache.set_many(
            {
                self._entry_key("subscription", subscription.id): self._dump(
                    fetched_at=fetched_at,
                    epoch=epochs[subscription.id],
                    subscription=subscription_to_dict(subscription),
                )
                for subscription in subscriptions
            },
            timeout=self.keep_seconds,
        )
        return epochs

    def subscription(
        self,
        subscription_id: int,
        *,
        fetch: Callable[[], Subscription],
        max_age: int | None = None,
        now: datetime | None = None,
        fallback_on: Fallback = (),
    ) -> Cached[Subscription]:
        """`getsubscription`, from the cache when fresh enough; `max_age=0` always asks the vendor (commits)."""
        now = _aware(now)

        if isinstance(subscription_id, bool) or not isinstance(subscription_id, int):
            raise ValueError(f"subscription ids are kept as numbers, not {subscription_id!r}")

        def refresh() -> Cached[Subscription]:
            numbered_before = self._counter()
            value = fetch()
            if value.id == subscription_id:
                self._store_subscriptions([value], numbered_before=numbered_before, fetched_at=now)
            else:
                logger.warning(
                    "vendor cache: asked for %s, the vendor answered %s; not kept", subscription_id, value.id
                )
            return Cached(value, now, fresh=True)

        return self._read(
            lock_key=self._lock_key("subscription", subscription_id),
            load=lambda: self._load_subscription(subscription_id, now),
            refresh=refresh,
            max_age=self.fresh_seconds if max_age is None else max_age,
            now=now,
            fallback_on=fallback_on,
        )

    # A customer's list

    def _load_customer(self, vendor_customer_id: int, now: datetime) -> _Entry[tuple[Subscription, ...]] | None:
        key = self._entry_key("customer", vendor_customer_id)
        found = self.cache.get_many([key, self._mark_key("customer", vendor_customer_id)])
        parsed = self._parse(found.get(key), now)
        if parsed is None:
            return None
        stored, fetched_at, epoch = parsed
        try:
            members = {int(member_id): str(member_epoch) for member_id, member_epoch in stored["members"]}
        except (KeyError, TypeError, ValueError):
            return None
        customer_mark = _Mark.load(found.get(self._mark_key("customer", vendor_customer_id)))
        trusted = customer_mark is not None and customer_mark.epoch == epoch
        member_keys = {
            member_id: (self._entry_key("subscription", member_id), self._mark_key("subscription", member_id))
            for member_id in members
        }
        found = self.cache.get_many([key for pair in member_keys.values() for key in pair])
        subscriptions = []
        for member_id, (entry_key, mark_key) in member_keys.items():
            entry = self._subscription_entry(found.get(entry_key), found.get(mark_key), now=now)
            if entry is None:
                return None
            mark = _Mark.load(found.get(mark_key))
            trusted = trusted and entry.trusted and mark is not None and mark.epoch == members[member_id]
            subscriptions.append(entry.value)
            fetched_at = min(fetched_at, entry.fetched_at)
        return _Entry(tuple(subscriptions), fetched_at, trusted=trusted)

    def customer_subscriptions(
        self,
        vendor_customer_id: int,
        *,
        fetch: Callable[[], Sequence[Subscription]],
        max_age: int | None = None,
        now: datetime | None = None,
        fallback_on: Fallback = (),
    ) -> Cached[tuple[Subscription, ...]]:
        """`getsubscriptionsforcustomer` by the vendor's customer id; storing it also stores each subscription."""
        now = _aware(now)

        def refresh() -> Cached[tuple[Subscription, ...]]:
            numbered_before = self._counter()
            value = tuple(fetch())
            (customer_mark,) = self._marks("customer", [vendor_customer_id], create=True).values()
            epochs = self._store_subscriptions(value, numbered_before=numbered_before, fetched_at=now)
            if epochs is not None and customer_mark is not None and customer_mark.numbered <= numbered_before:
                members = [[subscription.id, epochs[subscription.id]] for subscription in value]
                self.cache.set(
                    self._entry_key("customer", vendor_customer_id),
                    self._dump(fetched_at=now, epoch=customer_mark.epoch, members=members),
                    timeout=self.keep_seconds,
                )
            return Cached(value, now, fresh=True)

        return self._read(
            lock_key=self._lock_key("customer", vendor_customer_id),
            load=lambda: self._load_customer(vendor_customer_id, now),
            refresh=refresh,
            max_age=self.fresh_seconds if max_age is None else max_age,
            now=now,
            fallback_on=fallback_on,
        )

    # Reading, one refresh at a time

    def _read(
        self,
        *,
        lock_key: str,
        load: Callable[[], _Entry[T] | None],
        refresh: Callable[[], Cached[T]],
        max_age: int,
        now: datetime,
        fallback_on: Fallback,
    ) -> Cached[T]:
        def fresh(entry: _Entry[T] | None) -> bool:
            return entry is not None and entry.trusted and _age_seconds(entry.fetched_at, now) <= max_age

        if max_age <= 0:
            return refresh()
        known = load()
        if fresh(known):
            return Cached(known.value, known.fetched_at, fresh=True)
        token = uuid.uuid4().hex
        for poll in range(self.polls + 1):
            if self.cache.add(lock_key, token, timeout=self.lock_seconds):
                try:
                    known = load()
                    if fresh(known):
                        return Cached(known.value, known.fetched_at, fresh=True)
                    return self._refresh_or_fallback(refresh=refresh, load=load, fallback_on=fallback_on)
                finally:
                    if self.cache.get(lock_key) == token:
                        self.cache.delete(lock_key)
            if poll == self.polls:
                break
            self.sleep(self.poll_seconds)
            known = load()
            if fresh(known):
                return Cached(known.value, known.fetched_at, fresh=True)
        if known is not None:
            return Cached(known.value, known.fetched_at, fresh=False)
        return self._refresh_or_fallback(refresh=refresh, load=load, fallback_on=fallback_on)

    @staticmethod
    def _refresh_or_fallback(
        *, refresh: Callable[[], Cached[T]], load: Callable[[], _Entry[T] | None], fallback_on: Fallback
    ) -> Cached[T]:
        try:
            return refresh()
        except fallback_on:
            known = load()
            if known is None:
                raise
            return Cached(known.value, known.fetched_at, fresh=False)


# --- The process's cache, from settings ------------------------------------------


def get_vendor_cache(*, sleep: Callable[[float], None] = time.sleep) -> VendorCache:
    """On the default cache, as the settings say now (cheap: Django keeps one connection per thread)."""
    return VendorCache(
        cache=caches["default"],
        fresh_seconds=settings.VENDOR_CACHE_FRESH_SECONDS,
        keep_seconds=settings.VENDOR_CACHE_KEEP_SECONDS,
        sleep=sleep,
    )


def subscription(
    subscription_id: int,
    *,
    fetch: Callable[[], Subscription],
    max_age: int | None = None,
    now: datetime | None = None,
    fallback_on: Fallback = (),
) -> Cached[Subscription]:
    return get_vendor_cache().subscription(
        subscription_id, fetch=fetch, max_age=max_age, now=now, fallback_on=fallback_on
    )


def customer_subscriptions(
    vendor_customer_id: int,
    *,
    fetch: Callable[[], Sequence[Subscription]],
    max_age: int | None = None,
    now: datetime | None = None,
    fallback_on: Fallback = (),
) -> Cached[tuple[Subscription, ...]]:
    return get_vendor_cache().customer_subscriptions(
        vendor_customer_id, fetch=fetch, max_age=max_age, now=now, fallback_on=fallback_on
    )


def invalidate(subscription_id: int) -> None:
    get_vendor_cache().invalidate(subscription_id)


def invalidate_customer(vendor_customer_id: int) -> None:
    get_vendor_cache().invalidate_customer(vendor_customer_id)
