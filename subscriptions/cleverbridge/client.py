"""The HTTP client of Cleverbridge's subscription API: the only importer of httpx.

Callers get the frozen values of `values` and one of three errors (Rejected, Unavailable,
OutcomeUnknown). Timeouts and retries are decided here once. Reads and previews change nothing,
so they are retried; a commit is sent at most once because the vendor has no idempotency key and
a resent commit could charge the customer twice.

One client per process (`get_client()`): building one loads the CA bundle into a TLS context and
opens a connection pool, which cost more CPU than the rest of a page. Every HTTP attempt draws a
permit from the vendor budget that all processes share (`budget`), and every call ends within its
class's deadline, so that a page always answers before the web worker is killed.
"""

from __future__ import annotations

import atexit
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from subscriptions.cleverbridge.budget import (
    MAX_WAIT_SECONDS,
    BudgetExhausted,
    Kind,
    Permit,
    VendorBlocked,
    VendorBudget,
    get_budget,
)
from subscriptions.cleverbridge.changes import Change, subscription_ref
from subscriptions.cleverbridge.parsing import (
    Unreadable,
    ascii_digits,
    json_object,
    parse_quote,
    parse_subscription,
    text,
)
from subscriptions.cleverbridge.values import Exchange, Subscription, VendorQuote

logger = logging.getLogger("subscriptions.cleverbridge")  # the name operators filter on, whichever module logs

__all__ = [
    "BACKOFF_SECONDS",
    "CleverbridgeClient",
    "CleverbridgeError",
    "Deadlines",
    "OutcomeUnknown",
    "Rejected",
    "Unavailable",
    "get_client",
    "http_transport",
    "make_transport",
    "monotonic",
    "pause",
    "reset_client",
]

BACKOFF_SECONDS = 0.2
"""First pause between tries of a read or preview; doubled after each further try."""

MAX_RETRY_AFTER_SECONDS = 5
"""Longest Retry-After worth waiting for inside a web request; beyond it the caller is told to come back later."""

MAX_RESPONSE_TEXT = 65536
"""Cap on the response text kept in an Exchange, so an odd vendor page cannot bloat the audit trail."""

BLOCK_SECONDS = 60
"""How long the vendor blocks us after a 429 that does not say (it says Retry-After: 60)."""

MIN_ATTEMPT_SECONDS = 1.0
"""An attempt with less time left than this is not started: it could only time out (and a commit become unknown)."""


@dataclass(frozen=True)
class Deadlines:
    """Each call's whole time in seconds, tries, pauses and budget waits included (docs/client.md: the arithmetic)."""

    read: float = 8.0
    preview: float = 12.0
    commit: float = 20.0

    def of(self, kind: Kind) -> float:
        return {Kind.COMMIT: self.commit, Kind.PREVIEW: self.preview}.get(kind, self.read)


# --- Errors -------------------------------------------------------------------


class CleverbridgeError(Exception):
    """Base of the client's errors; `exchange` is the last request/response, for the audit trail."""

    def __init__(self, message: str, *, method: str, status: int | None = None, exchange: Exchange | None = None):
        super().__init__(message)
        self.message = message
        self.method = method
        self.status = status
        self.exchange = exchange

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.method}: {self.message}{status}"


class Rejected(CleverbridgeError):
    """The vendor understood the request and said no; nothing changed. `message` is its ResultMessage."""


class Unavailable(CleverbridgeError):
    """The vendor could not be asked or gave no usable answer; nothing changed, the caller may try later."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        status: int | None = None,
        exchange: Exchange | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(message, method=method, status=status, exchange=exchange)
        self.retry_after = retry_after


class OutcomeUnknown(CleverbridgeError):
    """A commit was sent and no definite answer came back: it may or may not have been applied.

    Never resend; confirm with getsubscription (or wait for the notification).
    """


# --- Client -------------------------------------------------------------------


def _decode(body: str) -> dict[str, Any] | None:
    """The answer as a JSON object, or None when it is not one."""
    try:
        return json_object(body)
    except Unreadable:
        return None


def _result_message(data: Mapping[str, Any] | None) -> str:
    return text(data.get("ResultMessage")) if data is not None else ""


def _retry_after(response: httpx.Response) -> int | None:
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    raw = raw.strip()
    if ascii_digits(raw):
        return int(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, round((when - datetime.now(UTC)).total_seconds()))


@dataclass(frozen=True)
class _Reply:
    data: dict[str, Any]
    exchange: Exchange


@dataclass(frozen=True)
class _Sent:
    data: dict[str, Any]
    exchange: Exchange
    target: str


def _require_priced(change: Change, what: str) -> None:
    """Deactivate, reinstate and renewal-type changes have no prices to preview or commit: they go through apply()."""
    if not getattr(change, "priced", True):
        raise TypeError(f"{type(change).__name__} has no price to {what}: use apply()")


class CleverbridgeClient:
    """A small synchronous client, safe to share between threads; get_client() gives this process's one.

    `clock` (monotonic seconds) and `sleep` are the deadlines' time; tests inject both.
    """

    def __init__(
        self,
        *,
        base_url: str,
        user: str,
        password: str,
        timeout: httpx.Timeout,
        budget: VendorBudget,
        max_tries: int = 3,
        deadlines: Deadlines = Deadlines(),
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_tries = max(1, max_tries)
        self.deadlines = deadlines
        self._budget = budget
        self._timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=httpx.BasicAuth(user, password),
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    # Reads

    def get_subscription(self, subscription_id: int | str) -> Subscription:
        ref = subscription_ref(subscription_id)
        reply = self._send("getsubscription", kind=Kind.READ, params={"subscriptionId": ref}, target=ref)
        return self._parse(reply, "getsubscription", lambda data: parse_subscription(data.get("Subscription")))

    def get_subscriptions_for_customer(
        self,
        *,
        customer_id: int | None = None,
        email: str | None = None,
        reference_id: str | None = None,
        kind: Kind | str = Kind.READ,
    ) -> list[Subscription]:
        """`kind="anonymous"` for a lookup on behalf of a visitor not yet known, which must not crowd out customers."""
        kind = Kind(kind)
        if kind not in (Kind.READ, Kind.ANONYMOUS):
            raise ValueError(f"a lookup is a read or anonymous, not {kind}")
        given = {
            "customerId": customer_id,
            "customerEmail": email,
            "customerReferenceId": reference_id,
        }
        given = {name: value for name, value in given.items() if value not in (None, "")}
        if len(given) != 1:
            raise ValueError("pass exactly one of customer_id, email, reference_id")
        method = "getsubscriptionsforcustomer"
        reply = self._send(method, kind=kind, params={name: str(value) for name, value in given.items()})

        def parse(data: dict[str, Any]) -> list[Subscription]:
            found = data.get("Subscriptions") or []
            if not isinstance(found, list):
                raise Unreadable("Subscriptions is not a list")
            return [parse_subscription(entry) for entry in found]

        return self._parse(reply, method, parse)

    # Changes

    def preview(self, change: Change) -> VendorQuote:
        """Ask the vendor's price for a change; nothing changes and no mail is sent, so it is retried."""
        _require_priced(change, "preview")
        body = change.request_body(preview=True)
        reply = self._send(change.method, kind=Kind.PREVIEW, body=body, target=body["SubscriptionId"])
        return self._parse(reply, change.method, lambda data: parse_quote(data, reply.exchange))

    def commit(self, change: Change) -> VendorQuote:
        """Apply a priced change (the customer is charged and mailed). Sent exactly once, never retried."""
        _require_priced(change, "commit")
        method = change.method
        reply = self._send_once(method, change.request_body(preview=False))
        try:
            quote = parse_quote(reply.data, reply.exchange)
        except Unreadable as exc:
            self._log(method, reply.exchange, 1, 1, "OK", reply.target, "outcome unknown: unreadable prices")
            raise OutcomeUnknown(
                f"the vendor said OK but its prices are unreadable ({exc})",
                method=method,
                status=reply.exchange.status,
                exchange=reply.exchange,
            ) from None
        self._log(method, reply.exchange, 1, 1, "OK", reply.target, "committed")
        return quote

    def apply(self, change: Change) -> Exchange:
        """Apply an unpriced change (deactivate, reinstate, renewal type), under a commit's rules.

        The vendor answers only "OK" and has neither a preview nor an idempotency key for these
        methods, so, like a commit, it is sent exactly once; what changed is confirmed by a read.
        """
        if getattr(change, "priced", True):
            raise TypeError(f"{type(change).__name__} is priced: preview and commit it")
        reply = self._send_once(change.method, change.request_body(preview=False))
        self._log(change.method, reply.exchange, 1, 1, "OK", reply.target, "committed")
        return reply.exchange

    def _send_once(self, method: str, body: dict[str, Any]) -> _Sent:
        """Send a change once, within the commit deadline; an answer other than a definite OK or no raises.

        Rejected: the vendor said no (4xx, nothing changed). Unavailable: surely not sent, or rate
        limited. OutcomeUnknown: it may have been applied.
        """
        target = body["SubscriptionId"]
        deadline = self._clock() + self.deadlines.commit
        permit, timeout = self._permit(Kind.COMMIT, method, body, target, deadline)
        started = self._clock()
        try:
            response = self._request(permit, method, body=body, timeout=timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol) as exc:
            exchange = self._exchange(method, body, None, "", started)
            self._log(method, exchange, 1, 1, "", target, f"not sent: {type(exc).__name__}")
            raise Unavailable(f"could not reach the vendor: {exc}", method=method, exchange=exchange) from exc
        except httpx.TransportError as exc:
            exchange = self._exchange(method, body, None, "", started)
            self._log(method, exchange, 1, 1, "", target, f"outcome unknown: {type(exc).__name__}")
            raise OutcomeUnknown(
                f"no answer after sending ({type(exc).__name__}); the change may have been applied",
                method=method,
                exchange=exchange,
            ) from exc

        exchange = self._exchange(method, body, response.status_code, response.text, started)
        status = response.status_code
        data = _decode(response.text)
        message = _result_message(data)

        if status == 429:
            retry_after = self._blocked(response)
            self._log(method, exchange, 1, 1, message, target, "rate limited")
            raise Unavailable(
                "the vendor's rate limit was hit; nothing was changed",
                method=method,
                status=status,
                exchange=exchange,
                retry_after=retry_after,
            )
        if 400 <= status < 500:
            self._log(method, exchange, 1, 1, message, target, "rejected")
            raise Rejected(message or response.reason_phrase, method=method, status=status, exchange=exchange)
        if 200 <= status < 300 and data is not None and message == "OK":
            return _Sent(data, exchange, target)
        self._log(method, exchange, 1, 1, message, target, "outcome unknown")
        if data is None:
            reason = "the answer was unreadable"
        elif 200 <= status < 300:
            reason = f"the vendor answered {message or 'without a ResultMessage'!r}"
        else:
            reason = f"the vendor failed ({message or response.reason_phrase})"
        raise OutcomeUnknown(
            f"{reason}; the change may have been applied", method=method, status=status, exchange=exchange
        )

    # Plumbing

    def _send(
        self,
        method: str,
        *,
        kind: Kind,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        target: str = "",
    ) -> _Reply:
        """Send a read or preview (which change nothing), retrying what may pass on a later try, within its deadline."""
        tries = self.max_tries
        deadline = self._clock() + self.deadlines.of(kind)
        last_exchange: Exchange | None = None
        for attempt in range(1, tries + 1):
            pause = BACKOFF_SECONDS * 2 ** (attempt - 1)
            permit, timeout = self._permit(kind, method, body, target, deadline, exchange=last_exchange)
            started = self._clock()
            try:
                response = self._request(permit, method, params=params, body=body, timeout=timeout)
            except httpx.UnsupportedProtocol as exc:
                exchange = self._exchange(method, body, None, "", started)
                self._log(method, exchange, attempt, tries, "", target, type(exc).__name__)
                raise Unavailable(f"bad vendor URL: {exc}", method=method, exchange=exchange) from exc
            except httpx.TransportError as exc:
                last_exchange = exchange = self._exchange(method, body, None, "", started)
                last = not self._may_retry(attempt, pause, deadline)
                self._log(method, exchange, attempt, tries, "", target, self._next(type(exc).__name__, last, pause))
                if last:
                    raise Unavailable(
                        f"could not reach the vendor ({type(exc).__name__})", method=method, exchange=exchange
                    ) from exc
                self._sleep(pause)
                continue

            status = response.status_code
            last_exchange = exchange = self._exchange(method, body, status, response.text, started)
            data = _decode(response.text)
            message = _result_message(data)

            if status == 429:
                retry_after = self._blocked(response)
                if retry_after > MAX_RETRY_AFTER_SECONDS or not self._may_retry(attempt, retry_after, deadline):
                    self._log(method, exchange, attempt, tries, message, target, "rate limited")
                    raise Unavailable(
                        "the vendor's rate limit was hit",
                        method=method,
                        status=status,
                        exchange=exchange,
                        retry_after=retry_after,
                    )
                self._log(
                    method, exchange, attempt, tries, message, target, f"rate limited, retrying in {retry_after}s"
                )
                self._sleep(retry_after)
                continue
            if 400 <= status < 500:
                self._log(method, exchange, attempt, tries, message, target, "rejected")
                raise Rejected(message or response.reason_phrase, method=method, status=status, exchange=exchange)
            if 200 <= status < 300 and data is not None:
                if message != "OK":
                    self._log(method, exchange, attempt, tries, message, target, "rejected")
                    raise Rejected(message or "no ResultMessage", method=method, status=status, exchange=exchange)
                self._log(method, exchange, attempt, tries, message, target, "ok")
                return _Reply(data, exchange)

            problem = "unreadable answer" if 200 <= status < 300 else f"HTTP {status}"
            last = not self._may_retry(attempt, pause, deadline)
            self._log(method, exchange, attempt, tries, message, target, self._next(problem, last, pause))
            if last:
                raise Unavailable(
                    f"the vendor gave no usable answer ({problem})", method=method, status=status, exchange=exchange
                )
            self._sleep(pause)
        raise AssertionError("unreachable")

    def _request(
        self,
        permit: Permit,
        method: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        timeout: httpx.Timeout,
    ) -> httpx.Response:
        """One HTTP attempt; its permit is held for exactly as long as the attempt."""
        try:
            if body is None:
                return self._http.get(f"/subscription/{method}", params=params, timeout=timeout)
            return self._http.post(f"/subscription/{method}", json=body, timeout=timeout)
        finally:
            self._budget.release(permit)

    def _may_retry(self, attempt: int, pause: float, deadline: float) -> bool:
        """Another try only if one is left and, after the pause, there is still time for it."""
        return attempt < self.max_tries and deadline - self._clock() - pause >= MIN_ATTEMPT_SECONDS

    def _permit(
        self,
        kind: Kind,
        method: str,
        body: dict[str, Any] | None,
        target: str,
        deadline: float,
        *,
        exchange: Exchange | None = None,
    ) -> tuple[Permit, httpx.Timeout]:
        """A permit from the shared budget, and the attempt's timeouts: the configured ones, cut to the time left.

        Refused, nothing is sent: `Unavailable`, even for a commit.
        """
        left = deadline - self._clock()
        started = self._clock()
        try:
            permit = self._budget.acquire(
                kind=kind,
                max_wait=max(0.0, min(MAX_WAIT_SECONDS[kind], left - MIN_ATTEMPT_SECONDS)),
                lease_seconds=left,
            )
        except (BudgetExhausted, VendorBlocked) as refused:
            if isinstance(refused, VendorBlocked):
                retry_after = max(1, math.ceil(refused.seconds))
                reason = f"the vendor blocks us until {refused.until.isoformat()}"
            else:
                retry_after = max(1, math.ceil(refused.wait_seconds))
                reason = f"no {kind} permit within the time left ({refused.wait_seconds:.2f} s to wait)"
            logger.warning(
                "cleverbridge %s %s refused by the vendor budget (%s): not sent", method, target or "-", reason
            )
            raise Unavailable(
                f"not sent: {reason}",
                method=method,
                exchange=exchange or self._exchange(method, body, None, "", started),
                retry_after=retry_after,
            ) from None
        left = deadline - self._clock()
        if left < MIN_ATTEMPT_SECONDS:
            self._budget.release(permit)
            logger.warning("cleverbridge %s %s deadline reached waiting for a permit: not sent", method, target or "-")
            raise Unavailable(
                "not sent: no time left for the call",
                method=method,
                exchange=exchange or self._exchange(method, body, None, "", started),
            )
        return permit, _cut(self._timeout, left)

    def _blocked(self, response: httpx.Response) -> int:
        """The vendor answered 429: every process stops calling until its block is over. Returns the block's length."""
        retry_after = _retry_after(response)
        seconds = BLOCK_SECONDS if retry_after is None else retry_after
        self._budget.blocked(seconds)
        return seconds

    @staticmethod
    def _parse(reply: _Reply, method: str, parse: Callable[[dict[str, Any]], Any]) -> Any:
        try:
            return parse(reply.data)
        except Unreadable as exc:
            logger.warning("cleverbridge %s unreadable answer: %s", method, exc)
            raise Unavailable(
                f"the vendor's answer could not be read ({exc})",
                method=method,
                status=reply.exchange.status,
                exchange=reply.exchange,
            ) from None

    @staticmethod
    def _next(problem: str, last: bool, pause: float) -> str:
        return f"{problem}, giving up" if last else f"{problem}, retrying in {pause:g}s"

    def _exchange(
        self, method: str, body: dict[str, Any] | None, status: int | None, response_text: str, started: float
    ) -> Exchange:
        return Exchange(
            method=method,
            request_body=body,
            status=status,
            response_text=response_text[:MAX_RESPONSE_TEXT],
            duration_ms=round((self._clock() - started) * 1000),
        )

    @staticmethod
    def _log(
        method: str, exchange: Exchange, attempt: int, tries: int, message: str, target: str, outcome: str
    ) -> None:
        level = logging.INFO if outcome in ("ok", "committed") else logging.WARNING
        logger.log(
            level,
            "cleverbridge %s %s status=%s duration_ms=%d try=%d/%d result=%r: %s",
            method,
            target or "-",
            exchange.status if exchange.status is not None else "-",
            exchange.duration_ms,
            attempt,
            tries,
            message,
            outcome,
        )


def _cut(timeout: httpx.Timeout, left: float) -> httpx.Timeout:
    """The configured timeouts, none longer than the time left."""

    def cut(seconds: float | None) -> float:
        return left if seconds is None else min(seconds, left)

    return httpx.Timeout(
        connect=cut(timeout.connect), read=cut(timeout.read), write=cut(timeout.write), pool=cut(timeout.pool)
    )


def pause(seconds: float) -> None:
    """How the shared client waits between tries; tests replace it so that they never sleep."""
    time.sleep(seconds)


def monotonic() -> float:
    """The shared client's clock for its deadlines; tests replace it with one that a slow vendor moves on."""
    return time.monotonic()


def http_transport() -> httpx.BaseTransport:
    """Plain HTTP(S) with no transport-level retries: retrying is decided in CleverbridgeClient."""
    return httpx.HTTPTransport(retries=0)


def make_transport() -> httpx.BaseTransport | None:
    """The transport get_client() builds its client on; tests replace it to route calls to the in-process sandbox."""
    return http_transport()


def sandbox_clock(*, timeout: float = 1.0) -> datetime | None:
    """Where the sandbox's test clock stands (its control API, beside its API), or None when it cannot be read.

    Only for the demo's banner: never retried, never through the vendor budget, and a failure is no error.
    """
    base = settings.CLEVERBRIDGE_API_URL
    if not base.endswith("/api"):
        return None
    try:
        with httpx.Client(transport=make_transport(), timeout=timeout) as client:
            response = client.get(
                base.removesuffix("/api") + "/control/clock",
                auth=(settings.CLEVERBRIDGE_API_USER, settings.CLEVERBRIDGE_API_PASSWORD),
            )
        if response.status_code != 200:
            return None
        moment = datetime.fromisoformat(str(response.json()["now"]).replace("Z", "+00:00"))
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None
    return moment if moment.tzinfo is not None else None


_shared: CleverbridgeClient | None = None
_shared_from: tuple[object, VendorBudget] | None = None
_shared_lock = threading.Lock()


def get_client() -> CleverbridgeClient:
    """This process's client: built on first use with its connection pool and TLS context, then shared.

    Never close it (nor use it in a `with`). It is built again only when the settings it was built from change
    (`setting_changed`, in tests), when `make_transport` or the process's budget was replaced, or after
    `reset_client()`.
    """
    global _shared, _shared_from
    names = ("CLEVERBRIDGE_API_URL", "CLEVERBRIDGE_API_USER", "CLEVERBRIDGE_API_PASSWORD")
    missing = [name for name in names if not getattr(settings, name, "")]
    if missing:
        raise ImproperlyConfigured(
            f"The Cleverbridge API is not configured: set {', '.join(missing)} "
            "(https://rest.cleverbridge.com and the API user's credentials in production)"
        )
    budget = get_budget()
    with _shared_lock:
        built_from = (make_transport, budget)
        if _shared is None or _shared_from != built_from:
            if _shared is not None:
                _shared.close()
            _shared = _build(budget)
            _shared_from = built_from
        return _shared


def _build(budget: VendorBudget) -> CleverbridgeClient:
    return CleverbridgeClient(
        base_url=settings.CLEVERBRIDGE_API_URL,
        user=settings.CLEVERBRIDGE_API_USER,
        password=settings.CLEVERBRIDGE_API_PASSWORD,
        timeout=httpx.Timeout(
            connect=settings.CLEVERBRIDGE_CONNECT_TIMEOUT,
            read=settings.CLEVERBRIDGE_READ_TIMEOUT,
            write=settings.CLEVERBRIDGE_READ_TIMEOUT,
            pool=settings.CLEVERBRIDGE_CONNECT_TIMEOUT,
        ),
        budget=budget,
        max_tries=settings.CLEVERBRIDGE_MAX_TRIES,
        deadlines=Deadlines(
            read=settings.CLEVERBRIDGE_READ_DEADLINE,
            preview=settings.CLEVERBRIDGE_PREVIEW_DEADLINE,
            commit=settings.CLEVERBRIDGE_COMMIT_DEADLINE,
        ),
        transport=make_transport(),
        # Looked up at each call, so that a test's replacement takes effect on a client built before it.
        sleep=lambda seconds: pause(seconds),
        clock=lambda: monotonic(),
    )


def reset_client() -> None:
    """Close and forget this process's client; the next get_client() builds one from the settings of then."""
    global _shared, _shared_from
    with _shared_lock:
        if _shared is not None:
            _shared.close()
        _shared = None
        _shared_from = None


atexit.register(reset_client)


@receiver(setting_changed)
def _follow_settings(*, setting: str, **kwargs: object) -> None:
    """Tests override the vendor's URL, credentials and timeouts per test; the shared client follows them."""
    if setting.startswith("CLEVERBRIDGE_") or setting == "VENDOR_BUDGET_REDIS_URL":
        reset_client()
