"""The one place that talks to Cleverbridge's subscription API.

Everything vendor-shaped stops here: callers get frozen dataclasses with
Decimal money and one of three errors (Rejected, Unavailable, OutcomeUnknown).
Timeouts and retries are decided here once. Reads and previews change nothing,
so they are retried; a commit is sent at most once because the vendor has no
idempotency key and a resent commit could charge the customer twice.
"""

from __future__ import annotations

import calendar
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = 0.2
"""First pause between tries of a read or preview; doubled after each further try."""

MAX_RETRY_AFTER_SECONDS = 5
"""Longest Retry-After worth waiting for inside a web request; beyond it the caller is told to come back later."""

MAX_RESPONSE_TEXT = 65536
"""Cap on the response text kept in an Exchange, so an odd vendor page cannot bloat the audit trail."""

STATUS_LABELS = {
    1: "Active",
    2: "Deactivated",
    3: "Finished",
    4: "Grace",
    5: "Hold",
    6: "New",
    7: "Handled by client",
    8: "Awaiting new order",
}
ACTIVE = 1


# --- Values -----------------------------------------------------------------


@dataclass(frozen=True)
class Prices:
    """A gross/net/VAT triple as the vendor computed it (never recomputed here)."""

    gross: Decimal
    net: Decimal
    vat: Decimal
    currency: str


@dataclass(frozen=True)
class PaymentInfo:
    type: str
    type_id: str
    last_four: str
    expires_month: int | None
    expires_year: int | None

    @property
    def expires_at(self) -> datetime | None:
        """The last instant the card is valid: cards expire at the end of their month."""
        if not self.expires_month or not self.expires_year:
            return None
        last_day = calendar.monthrange(self.expires_year, self.expires_month)[1]
        return datetime(self.expires_year, self.expires_month, last_day, 23, 59, 59, 999999, tzinfo=UTC)

    def expires_before(self, when: datetime) -> bool:
        """True when the card will have expired by `when` (e.g. the next billing date)."""
        expires_at = self.expires_at
        return expires_at is not None and expires_at < when


@dataclass(frozen=True)
class SubscriptionItem:
    running_no: int
    product_id: int
    product_name: str
    quantity: int
    status: int
    start: datetime
    version: int
    is_current: bool
    version_active: datetime | None
    next_billing: Prices
    next_renewal: Prices

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE


@dataclass(frozen=True)
class Subscription:
    id: int
    customer_id: int
    customer_reference_id: str
    currency: str
    status: int
    renewal_type: str
    start: datetime
    next_billing_date: datetime | None
    next_renewal_date: datetime | None
    interval_months: int
    interval_days: int
    items: tuple[SubscriptionItem, ...]
    next_billing: Prices
    next_renewal: Prices
    payment: PaymentInfo | None
    self_service_url: str

    @property
    def current_items(self) -> tuple[SubscriptionItem, ...]:
        """One entry per RunningNo: the vendor keeps every version of an item, only IsCurrent counts."""
        current: dict[int, SubscriptionItem] = {}
        for item in self.items:
            if item.is_current and (item.running_no not in current or item.version > current[item.running_no].version):
                current[item.running_no] = item
        return tuple(current[running_no] for running_no in sorted(current))

    def item(self, running_no: int) -> SubscriptionItem | None:
        return next((item for item in self.current_items if item.running_no == running_no), None)

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, f"Unknown ({self.status})")


# --- Changes ------------------------------------------------------------------


def _subscription_ref(subscription_id: int | str) -> str:
    """The vendor accepts "S68574751" or "68574751"; we always send the S form."""
    text = str(subscription_id).strip()
    if text[:1] in ("S", "s"):
        text = text[1:]
    if not _digits(text):
        raise ValueError(f"not a subscription id: {subscription_id!r}")
    return f"S{int(text)}"


def _alignment(*, preview: bool, align: bool = True) -> dict[str, bool]:
    return {"AlignToCurrentInterval": align, "ExtendInterval": False, "GetCustomerPricePreviewOnly": preview}


def _require_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")


@dataclass(frozen=True)
class IncreaseQuantity:
    """Add seats to an item now, co-termed. `add_quantity` is the number of seats to ADD (the vendor's delta)."""

    method: ClassVar[str] = "increasesubscriptionitemquantity"
    subscription_id: int
    running_no: int
    add_quantity: int

    def __post_init__(self) -> None:
        _require_positive("add_quantity", self.add_quantity)

    def request_body(self, *, preview: bool) -> dict[str, Any]:
        return {
            "SubscriptionId": _subscription_ref(self.subscription_id),
            "RunningNumber": self.running_no,
            "Quantity": self.add_quantity,
            "AlignmentSettings": _alignment(preview=preview),
            "GenerateMail": not preview,
        }


UPDATE_ACTIONS = ("Update", "Upgrade", "Downgrade")


@dataclass(frozen=True)
class UpdateItem:
    """Set an item's product and TOTAL quantity.

    A downgrade is sent without alignment: the vendor refuses a negative
    pro-rated amount, so a downgrade takes effect at the next billing date.
    """

    method: ClassVar[str] = "updatesubscriptionitem"
    subscription_id: int
    running_no: int
    product_id: int
    total_quantity: int
    update_action: str = "Upgrade"

    def __post_init__(self) -> None:
        _require_positive("total_quantity", self.total_quantity)
        if self.update_action not in UPDATE_ACTIONS:
            raise ValueError(f"update_action must be one of {UPDATE_ACTIONS}, not {self.update_action!r}")

    def request_body(self, *, preview: bool) -> dict[str, Any]:
        return {
            "SubscriptionId": _subscription_ref(self.subscription_id),
            "RunningNumber": self.running_no,
            "ProductId": self.product_id,
            "Quantity": self.total_quantity,
            "UpdateAction": self.update_action,
            "TriggerImmediateRenewal": False,
            "AlignmentSettings": _alignment(preview=preview, align=self.update_action != "Downgrade"),
            "GenerateMail": not preview,
        }


@dataclass(frozen=True)
class AddItem:
    """Add a new item (a new RunningNo) to the subscription, co-termed with the existing ones."""

    method: ClassVar[str] = "addsubscriptionitem"
    subscription_id: int
    product_id: int
    quantity: int = 1

    def __post_init__(self) -> None:
        _require_positive("quantity", self.quantity)

    def request_body(self, *, preview: bool) -> dict[str, Any]:
        return {
            "SubscriptionId": _subscription_ref(self.subscription_id),
            "ProductId": self.product_id,
            "Quantity": self.quantity,
            "AlignmentSettings": _alignment(preview=preview),
            "GenerateMail": not preview,
        }


Change = IncreaseQuantity | UpdateItem | AddItem


@dataclass(frozen=True)
class Exchange:
    """What was sent and what came back, for the audit trail. Never holds credentials."""

    method: str
    request_body: dict | None
    status: int | None
    response_text: str
    duration_ms: int


@dataclass(frozen=True)
class VendorQuote:
    """The vendor's prices for a change: what is charged now and the recurring amounts after it."""

    charge_now: Prices
    next_billing: Prices
    next_renewal: Prices
    currency: str
    exchange: Exchange


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


# --- Parsing ------------------------------------------------------------------


class _Unreadable(Exception):
    """The body is not the JSON we expect."""


def _decode(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise _Unreadable(f"response is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _Unreadable("response is not a JSON object")
    return data


def _money(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, bool):
        raise _Unreadable(f"not an amount: {value!r}")
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    raise _Unreadable(f"not an amount: {value!r}")


def _prices(data: Mapping[str, Any], prefix: str, currency: str) -> Prices:
    return Prices(
        gross=_money(data.get(f"{prefix}GrossPrice")),
        net=_money(data.get(f"{prefix}NetPrice")),
        vat=_money(data.get(f"{prefix}VatPrice")),
        currency=currency,
    )


def _int(value: Any, *, default: int | None = None) -> int:
    if value is None or value == "":
        if default is None:
            raise _Unreadable("a required number is missing")
        return default
    if isinstance(value, bool):
        raise _Unreadable(f"not a whole number: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and _digits(value.strip().lstrip("Ss")):
        return int(value.strip().lstrip("Ss"))
    raise _Unreadable(f"not a whole number: {value!r}")


def _digits(text: str) -> bool:
    """ASCII digits only: "²" passes str.isdigit() but int() refuses it."""
    return text.isascii() and text.isdigit()


def _optional_int(value: Any) -> int | None:
    return None if value is None or value == "" else _int(value)


def _datetime(value: Any) -> datetime | None:
    """The vendor sends naive ISO timestamps meaning UTC (and some with Z)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Unreadable(f"not a timestamp: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Unreadable(f"not a timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _required_datetime(value: Any, name: str) -> datetime:
    parsed = _datetime(value)
    if parsed is None:
        raise _Unreadable(f"{name} is missing")
    return parsed


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _payment(data: Any) -> PaymentInfo | None:
    if not isinstance(data, Mapping) or not (data.get("PaymentType") or data.get("PaymentTypeId")):
        return None
    expiry = data.get("CardExpirationDate")
    expiry = expiry if isinstance(expiry, Mapping) else {}
    return PaymentInfo(
        type=_str(data.get("PaymentType")),
        type_id=_str(data.get("PaymentTypeId")),
        last_four=_str(data.get("CardLastFourDigits")),
        expires_month=_optional_int(expiry.get("Month")) or None,
        expires_year=_optional_int(expiry.get("Year")) or None,
    )


def _item(data: Any, *, subscription_start: datetime, currency: str) -> SubscriptionItem:
    if not isinstance(data, Mapping):
        raise _Unreadable("an item is not a JSON object")
    item_currency = _str(data.get("NextBillingCurrencyId")) or currency
    return SubscriptionItem(
        running_no=_int(data.get("RunningNo")),
        product_id=_int(data.get("ProductId")),
        product_name=_str(data.get("ProductName")),
        quantity=_int(data.get("Quantity")),
        status=_int(data.get("Status"), default=ACTIVE),
        start=_datetime(data.get("StartDate")) or subscription_start,
        version=_int(data.get("Version"), default=1),
        is_current=bool(data.get("IsCurrent", True)),
        version_active=_datetime(data.get("VersionActiveDate")),
        next_billing=_prices(data, "NextBillingCustomer", item_currency),
        next_renewal=_prices(data, "NextRenewalCustomer", item_currency),
    )


def parse_subscription(data: Any) -> Subscription:
    """Turn one vendor subscription object into a Subscription (raises _Unreadable)."""
    if not isinstance(data, Mapping):
        raise _Unreadable("subscription is not a JSON object")
    currency = _str(data.get("CustomerCurrencyId") or data.get("NextBillingCurrencyId"))
    start = _required_datetime(data.get("StartDate"), "StartDate")
    items = data.get("Items") or []
    if not isinstance(items, list):
        raise _Unreadable("Items is not a list")
    status = data.get("Subscriptionstatus", data.get("SubscriptionStatus", data.get("Status")))
    return Subscription(
        id=_int(data.get("Id")),
        customer_id=_int(data.get("CustomerId"), default=0),
        customer_reference_id=_str(data.get("CustomerReferenceId")),
        currency=currency,
        status=_int(status, default=0),
        renewal_type=_str(data.get("RenewalType")),
        start=start,
        next_billing_date=_datetime(data.get("NextBillingDate")),
        next_renewal_date=_datetime(data.get("NextRenewalDate")),
        interval_months=_int(data.get("IntervalMonthCount"), default=0),
        interval_days=_int(data.get("IntervalDayCount"), default=0),
        items=tuple(_item(item, subscription_start=start, currency=currency) for item in items),
        next_billing=_prices(data, "NextBillingCustomer", _str(data.get("NextBillingCurrencyId")) or currency),
        next_renewal=_prices(data, "NextRenewalCustomer", _str(data.get("NextBillingCurrencyId")) or currency),
        payment=_payment(data.get("PaymentInfo")),
        self_service_url=_str(data.get("SelfServiceUrl")),
    )


def _required_money(data: Mapping[str, Any], name: str) -> Decimal:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _Unreadable(f"{name} is missing")
    amount = _money(value)
    if not amount.is_finite():
        raise _Unreadable(f"{name} is not an amount: {value!r}")
    return amount


def _required_prices(data: Mapping[str, Any], prefix: str, currency: str) -> Prices:
    return Prices(
        gross=_required_money(data, f"{prefix}GrossPrice"),
        net=_required_money(data, f"{prefix}NetPrice"),
        vat=_required_money(data, f"{prefix}VatPrice"),
        currency=currency,
    )


def _quote(data: Mapping[str, Any], exchange: Exchange) -> VendorQuote:
    """A preview's or commit's prices: every one must be there, since they are shown for consent and charged.

    A missing amount is unreadable, never 0 (a subscription read, which only displays, still tolerates one).
    """
    currency = data.get("PriceCurrencyId")
    if not isinstance(currency, str) or not currency.strip():
        raise _Unreadable(f"PriceCurrencyId is missing or not a currency code: {currency!r}")
    currency = currency.strip()
    return VendorQuote(
        charge_now=_required_prices(data, "AlignmentCustomer", currency),
        next_billing=_required_prices(data, "NextBillingCustomer", currency),
        next_renewal=_required_prices(data, "NextRenewalCustomer", currency),
        currency=currency,
        exchange=exchange,
    )


def _result_message(data: Mapping[str, Any] | None) -> str:
    return _str(data.get("ResultMessage")) if data is not None else ""


def _retry_after(response: httpx.Response) -> int | None:
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    raw = raw.strip()
    if _digits(raw):
        return int(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, round((when - datetime.now(UTC)).total_seconds()))


# --- Client -------------------------------------------------------------------


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
        ref = _subscription_ref(subscription_id)
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
                raise _Unreadable("Subscriptions is not a list")
            return [parse_subscription(entry) for entry in found]

        return self._parse(reply, method, parse)

    # Changes

    def preview(self, change: Change) -> VendorQuote:
        """Ask the vendor's price for a change; nothing changes and no mail is sent, so it is retried."""
        body = change.request_body(preview=True)
        reply = self._send(change.method, body=body, target=body["SubscriptionId"])
        return self._parse(reply, change.method, lambda data: _quote(data, reply.exchange))

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
        try:
            data: dict[str, Any] | None = _decode(response.text)
        except _Unreadable:
            data = None
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
                quote = _quote(data, exchange)
            except _Unreadable as exc:
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
            try:
                data: dict[str, Any] | None = _decode(response.text)
            except _Unreadable:
                data = None
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
        except _Unreadable as exc:
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
    def _exchange(method: str, body: dict[str, Any] | None, status: int | None, text: str, started: float) -> Exchange:
        return Exchange(
            method=method,
            request_body=body,
            status=status,
            response_text=text[:MAX_RESPONSE_TEXT],
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
