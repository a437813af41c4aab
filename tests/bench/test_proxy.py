"""The benchmark's vendor proxy: what it counts, and that it passes calls through unchanged."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from bench.proxy import VendorProxy, api_method


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def upstream():
    """A vendor on 127.0.0.1 that echoes what it got; `answers` scripts its next statuses."""
    answers: list[tuple[int, dict[str, str]]] = []

    class Vendor(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.dumps(
                {"path": self.path, "host": self.headers["Host"], "body": self.rfile.read(length).decode()}
            ).encode()
            status, headers = answers.pop(0) if answers else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Vendor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", answers
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxied(upstream):
    url, answers = upstream
    clock, pauses = FakeClock(1000.25), []
    proxy = VendorProxy(upstream=url, delay=0.3, clock=clock, pause=pauses.append)
    proxy.start()
    yield proxy, clock, pauses, answers
    proxy.stop()


def test_the_api_method_is_the_last_path_segment():
    assert api_method("/sandbox/api/subscription/getsubscription?subscriptionId=S1") == "getsubscription"
    method = api_method("/sandbox/api/subscription/IncreaseSubscriptionItemQuantity")
    assert method == "increasesubscriptionitemquantity"


def test_calls_pass_through_unchanged_after_the_delay_and_are_counted(proxied):
    proxy, clock, pauses, _ = proxied
    first = httpx.get(f"{proxy.url}/sandbox/api/subscription/getsubscription?subscriptionId=S68574751")
    clock.now = 1001.9
    second = httpx.post(f"{proxy.url}/sandbox/api/subscription/addsubscriptionitem", json={"Quantity": 1})
    httpx.get(f"{proxy.url}/sandbox/api/subscription/getsubscription?subscriptionId=S2")

    assert first.status_code == 200
    assert first.json()["path"] == "/sandbox/api/subscription/getsubscription?subscriptionId=S68574751"
    assert first.json()["host"] == proxy.upstream.removeprefix("http://")
    assert json.loads(second.json()["body"]) == {"Quantity": 1}
    assert pauses == [0.3, 0.3, 0.3]
    counts = proxy.counts()
    assert counts.by_method == {"getsubscription": 2, "addsubscriptionitem": 1}
    assert counts.by_second == {1000: 1, 1001: 2}
    assert counts.calls == 3
    assert counts.busiest_second == 2
    assert counts.too_many_requests == 0


def test_a_reset_forgets_the_counts(proxied):
    proxy, *_ = proxied
    httpx.get(f"{proxy.url}/sandbox/api/subscription/getsubscription")
    proxy.reset()
    assert proxy.counts().calls == 0
    assert proxy.counts().by_second == {}


def test_429s_are_counted_and_a_block_is_one_lockout_until_it_ends(proxied):
    proxy, clock, _, answers = proxied
    answers += [(429, {"Retry-After": "60"}), (429, {"Retry-After": "59"}), (200, {}), (429, {"Retry-After": "60"})]
    call = f"{proxy.url}/sandbox/api/subscription/getsubscription"

    assert httpx.get(call).status_code == 429
    clock.now += 1
    assert httpx.get(call).status_code == 429
    assert (proxy.counts().too_many_requests, proxy.counts().lockouts) == (2, 1)

    clock.now += 60
    httpx.get(call)
    httpx.get(call)
    assert (proxy.counts().too_many_requests, proxy.counts().lockouts) == (3, 2)


def test_a_block_announced_before_a_reset_is_not_a_new_lockout_after_it(proxied):
    proxy, clock, _, answers = proxied
    answers += [(429, {"Retry-After": "60"}), (429, {"Retry-After": "50"})]
    call = f"{proxy.url}/sandbox/api/subscription/getsubscription"
    httpx.get(call)
    proxy.reset()
    clock.now += 10
    httpx.get(call)
    assert (proxy.counts().too_many_requests, proxy.counts().lockouts) == (1, 0)


def test_an_unreachable_vendor_is_a_502_and_still_a_counted_call(upstream):
    proxy = VendorProxy(upstream="http://127.0.0.1:9", pause=lambda _: None)
    proxy.start()
    try:
        answer = httpx.get(f"{proxy.url}/sandbox/api/subscription/getsubscription")
    finally:
        proxy.stop()
    assert answer.status_code == 502
    assert proxy.counts().by_method == {"getsubscription": 1}
