"""A counting, delaying proxy in front of the sandbox: the vendor as the app sees it over a real network.

Every call waits a fixed delay (the round trip and TLS set-up the sandbox on loopback does not have), is
counted per API method and per wall-clock second as it reaches the vendor, and every 429 is counted; a 429
that arrives after the vendor's last announced block has ended starts a new lockout. The harness reads and
resets the counts in-process between steps. `refuse_next(n)` makes it drop the next n calls unanswered (the
connection closed as soon as the request is read), as a vendor that went away does.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
UPSTREAM_TIMEOUT_SECONDS = 60.0


def api_method(path: str) -> str:
    """The vendor's API method of a request path: `/sandbox/api/subscription/getsubscription?…` → `getsubscription`."""
    return urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1].lower() or "/"


@dataclass(frozen=True)
class VendorCounts:
    """What the vendor saw since the last reset."""

    by_method: dict[str, int]
    by_second: dict[int, int]
    too_many_requests: int
    lockouts: int
    busy_seconds: float = 0.0

    @property
    def calls(self) -> int:
        return sum(self.by_method.values())

    @property
    def busiest_second(self) -> int:
        return max(self.by_second.values(), default=0)


@dataclass
class _Tally:
    by_method: Counter = field(default_factory=Counter)
    by_second: Counter = field(default_factory=Counter)
    too_many_requests: int = 0
    lockouts: int = 0
    busy_seconds: float = 0.0
    blocked_until: float = float("-inf")


class VendorProxy:
    """HTTP proxy to one upstream on 127.0.0.1; `delay` may be changed between steps."""

    def __init__(
        self,
        *,
        upstream: str,
        delay: float = 0.0,
        clock: Callable[[], float] = time.time,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self.upstream = upstream
        self.delay = delay
        self._clock = clock
        self._pause = pause
        self._lock = threading.Lock()
        self._tally = _Tally()
        self._refusals, self._refused_method, self._refused_on = 0, "*", "any"
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "the proxy is not running"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="vendor-proxy", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def refuse_next(self, count: int, *, method: str = "*", on: str = "any") -> None:
        """Drop the next `count` calls of `method` (`*`: any); `on` (preview, commit, any) as the sandbox's faults."""
        with self._lock:
            self._refusals, self._refused_method, self._refused_on = count, method, on

    def refusal_taken(self, *, path: str, body: bytes) -> bool:
        """Whether this call is one to drop (and one fewer is left)."""
        with self._lock:
            if self._refusals <= 0 or self._refused_method not in ("*", api_method(path)):
                return False
            if self._refused_on != "any" and _is_preview(body) != (self._refused_on == "preview"):
                return False
            self._refusals -= 1
            return True

    def reset(self) -> None:
        """Forget the counts; a block the vendor announced is remembered, so its 429s are not new lockouts."""
        with self._lock:
            blocked_until = self._tally.blocked_until
            self._tally = _Tally(blocked_until=blocked_until)

    def counts(self) -> VendorCounts:
        with self._lock:
            tally = self._tally
            return VendorCounts(
                by_method=dict(tally.by_method),
                by_second=dict(tally.by_second),
                too_many_requests=tally.too_many_requests,
                lockouts=tally.lockouts,
                busy_seconds=tally.busy_seconds,
            )

    def record_call(self, *, method: str) -> None:
        with self._lock:
            self._tally.by_method[method] += 1
            self._tally.by_second[int(self._clock())] += 1

    def record_answer(self, *, status: int, retry_after: str | None, seconds: float = 0.0) -> None:
        """Count an answer; `seconds` is how long the call took as the app waited for it (delay included)."""
        with self._lock:
            self._tally.busy_seconds += seconds
        if status != 429:
            return
        now = self._clock()
        block = int(retry_after) if retry_after and retry_after.isascii() and retry_after.isdigit() else 0
        with self._lock:
            self._tally.too_many_requests += 1
            if now >= self._tally.blocked_until:
                self._tally.lockouts += 1
            self._tally.blocked_until = max(self._tally.blocked_until, now + block)

    def forward(
        self, *, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        started = time.perf_counter()
        self._pause(self.delay)
        self.record_call(method=api_method(path))
        target = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=UPSTREAM_TIMEOUT_SECONDS)
        try:
            sent = [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP]
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", target.netloc)
            for name, value in sent:
                connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.putheader("Connection", "close")
            connection.endheaders(body)
            answer = connection.getresponse()
            payload = answer.read()
            status, answer_headers = answer.status, answer.getheaders()
        except OSError as exc:
            return 502, [("Content-Type", "text/plain")], f"vendor proxy: upstream failed: {exc}".encode()
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        self.record_answer(status=status, retry_after=answer.getheader("Retry-After"), seconds=seconds)
        return status, [(name, value) for name, value in answer_headers if name.lower() not in HOP_BY_HOP], payload


def _is_preview(body: bytes) -> bool:
    try:
        return json.loads(body).get("GetCustomerPricePreviewOnly") is True
    except (ValueError, AttributeError):
        return False


def _handler_for(proxy: VendorProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if proxy.refusal_taken(path=self.path, body=body):
                self.close_connection = True
                return
            status, headers, payload = proxy.forward(
                method=self.command, path=self.path, headers=list(self.headers.items()), body=body
            )
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _relay

        def log_message(self, format: str, *args) -> None:
            pass

    return Handler
