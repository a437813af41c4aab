"""The HTTP client of Cleverbridge's subscription API: the only importer of httpx.

Callers get the frozen values of `values` and one of three errors (Rejected, Unavailable,
OutcomeUnknown). Timeouts and retries are decided here once. Reads and previews change nothing,
so they are retried; a commit is sent at most once because the vendor has no idempotency key and
a resent commit could charge the customer twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

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
    "OutcomeUnknown",
    "Rejected",
    "Unavailable",
    "get_client",
    "http_transport",
    "make_transport",
    "pause",
]

BACKOFF_SECONDS = 0.2
"""First pause between tries of a read or preview; doubled after each further try."""

MAX_RETRY_AFTER_SECONDS = 5
"""Longest Retry-After worth waiting for inside a web request; beyond it the caller is told to come back later."""

MAX_RESPONSE_TEXT = 65536
"""Cap on the response text kept in an Exchange, so an odd vendor page cannot bloat the audit trail."""


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


class CleverbridgeClient:
    """A small synchronous client; build it with get_client() so settings decide where it points."""

    def __init__(
        self,
        *,
        base_url: str,
        user: str,
        password: str,
        timeout: httpx.Timeout,
        max_tries: int = 3,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.max_tries = max(1, max_tries)
        self._sleep = sleep
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

    def __enter__(self) -> CleverbridgeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Reads

    def get_subscription(self, subscription_id: int | str) -> Subscription:
        ref = subscription_ref(subscription_id)
        reply = self._send("getsubscription", params={"subscriptionId": ref}, target=ref)
        return self._parse(reply, "getsubscription", lambda data: parse_subscription(data.get("Subscription")))

    def get_subscriptions_for_customer(
        self, *, customer_id: int | None = None, email: str | None = None, reference_id: str | None = None
    ) -> list[Subscription]:
        given = {
            "customerId": customer_id,
            "customerEmail": email,
            "customerReferenceId": reference_id,
        }
        given = {name: value for name, value in given.items() if value not in (None, "")}
        if len(given) != 1:
            raise ValueError("pass exactly one of customer_id, email, reference_id")
        method = "getsubscriptionsforcustomer"
        reply = self._send(method, params={name: str(value) for name, value in given.items()})

        def parse(data: dict[str, Any]) -> list[Subscription]:
            found = data.get("Subscriptions") or []
            if not isinstance(found, list):
                raise Unreadable("Subscriptions is not a list")
            return [parse_subscription(entry) for entry in found]

        return self._parse(reply, method, parse)

    # Changes

    def preview(self, change: Change) -> VendorQuote:
        """Ask the vendor's price for a change; nothing changes and no mail is sent, so it is retried."""
        body = change.request_body(preview=True)
        reply = self._send(change.method, body=body, target=body["SubscriptionId"])
        return self._parse(reply, change.method, lambda data: parse_quote(data, reply.exchange))

    def commit(self, change: Change) -> VendorQuote:
        """Apply a change (the customer is charged and mailed). Sent exactly once, never retried."""
        method = change.method
        body = change.request_body(preview=False)
        started = time.monotonic()
        try:
            response = self._http.post(f"/subscription/{method}", json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol) as exc:
            exchange = self._exchange(method, body, None, "", started)
            self._log(method, exchange, 1, 1, "", body["SubscriptionId"], f"not sent: {type(exc).__name__}")
            raise Unavailable(f"could not reach the vendor: {exc}", method=method, exchange=exchange) from exc
        except httpx.TransportError as exc:
            exchange = self._exchange(method, body, None, "", started)
            self._log(method, exchange, 1, 1, "", body["SubscriptionId"], f"outcome unknown: {type(exc).__name__}")
            raise OutcomeUnknown(
                f"no answer after sending ({type(exc).__name__}); the change may have been applied",
                method=method,
                exchange=exchange,
            ) from exc

        exchange = self._exchange(method, body, response.status_code, response.text, started)
        status = response.status_code
        data = _decode(response.text)
        message = _result_message(data)
        target = body["SubscriptionId"]

        if status == 429:
            retry_after = _retry_after(response)
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
            try:
                quote = parse_quote(data, exchange)
            except Unreadable as exc:
                self._log(method, exchange, 1, 1, message, target, "outcome unknown: unreadable prices")
                raise OutcomeUnknown(
                    f"the vendor said OK but its prices are unreadable ({exc})",
                    method=method,
                    status=status,
                    exchange=exchange,
                ) from None
            self._log(method, exchange, 1, 1, message, target, "committed")
            return quote
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
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        target: str = "",
    ) -> _Reply:
        """Send a read or preview (which change nothing), retrying what may pass on a later try."""
        tries = self.max_tries
        for attempt in range(1, tries + 1):
            last = attempt == tries
            pause = BACKOFF_SECONDS * 2 ** (attempt - 1)
            started = time.monotonic()
            try:
                if body is None:
                    response = self._http.get(f"/subscription/{method}", params=params)
                else:
                    response = self._http.post(f"/subscription/{method}", json=body)
            except httpx.UnsupportedProtocol as exc:
                exchange = self._exchange(method, body, None, "", started)
                self._log(method, exchange, attempt, tries, "", target, type(exc).__name__)
                raise Unavailable(f"bad vendor URL: {exc}", method=method, exchange=exchange) from exc
            except httpx.TransportError as exc:
                exchange = self._exchange(method, body, None, "", started)
                self._log(method, exchange, attempt, tries, "", target, self._next(type(exc).__name__, last, pause))
                if last:
                    raise Unavailable(
                        f"could not reach the vendor ({type(exc).__name__})", method=method, exchange=exchange
                    ) from exc
                self._sleep(pause)
                continue

            status = response.status_code
            exchange = self._exchange(method, body, status, response.text, started)
            data = _decode(response.text)
            message = _result_message(data)

            if status == 429:
                retry_after = _retry_after(response)
                wait = pause if retry_after is None else retry_after
                if last or wait > MAX_RETRY_AFTER_SECONDS:
                    self._log(method, exchange, attempt, tries, message, target, "rate limited")
                    raise Unavailable(
                        "the vendor's rate limit was hit",
                        method=method,
                        status=status,
                        exchange=exchange,
                        retry_after=retry_after,
                    )
                self._log(method, exchange, attempt, tries, message, target, f"rate limited, retrying in {wait}s")
                self._sleep(wait)
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
            self._log(method, exchange, attempt, tries, message, target, self._next(problem, last, pause))
            if last:
                raise Unavailable(
                    f"the vendor gave no usable answer ({problem})", method=method, status=status, exchange=exchange
                )
            self._sleep(pause)
        raise AssertionError("unreachable")

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

    @staticmethod
    def _exchange(
        method: str, body: dict[str, Any] | None, status: int | None, response_text: str, started: float
    ) -> Exchange:
        return Exchange(
            method=method,
            request_body=body,
            status=status,
            response_text=response_text[:MAX_RESPONSE_TEXT],
            duration_ms=round((time.monotonic() - started) * 1000),
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


def pause(seconds: float) -> None:
    """How get_client()'s clients wait between tries; tests replace it so that they never sleep."""
    time.sleep(seconds)


def http_transport() -> httpx.BaseTransport:
    """Plain HTTP(S) with no transport-level retries: retrying is decided in CleverbridgeClient."""
    return httpx.HTTPTransport(retries=0)


def make_transport() -> httpx.BaseTransport | None:
    """The transport get_client() uses; tests replace it to route calls to the in-process sandbox."""
    return http_transport()


def get_client() -> CleverbridgeClient:
    """Build the client from settings at call time, so a settings change (or test) takes effect at once."""
    names = ("CLEVERBRIDGE_API_URL", "CLEVERBRIDGE_API_USER", "CLEVERBRIDGE_API_PASSWORD")
    missing = [name for name in names if not getattr(settings, name, "")]
    if missing:
        raise ImproperlyConfigured(
            f"The Cleverbridge API is not configured: set {', '.join(missing)} "
            "(https://rest.cleverbridge.com and the API user's credentials in production)"
        )
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
        max_tries=settings.CLEVERBRIDGE_MAX_TRIES,
        transport=make_transport(),
        sleep=pause,
    )
