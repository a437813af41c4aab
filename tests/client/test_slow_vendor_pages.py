"""The slowest vendor the client tolerates never costs a customer a 500: every page answers before the web worker's
timeout, with room to spare, on a fake clock that the vendor's slowness and the client's pauses move."""

import json

import httpx
import pytest
from django.conf import settings

from subscriptions.cleverbridge import client as cleverbridge
from subscriptions.models import Quote
from tests.budget.clock import FakeClock
from tests.cast import *  # noqa: F403
from tests.changes.flows import commit, preview
from tests.conftest import InProcessTransport

MONTHLY = 68574751
SEATS = {"kind": "increase", "running_no": 1, "quantity": 1}


class SlowSandbox(httpx.BaseTransport):
    """The in-process sandbox, taking `delays[call]` seconds per request ("read", "preview" or "commit").

    Slower than the request's read timeout, the clock moves on by the timeout and the request times out; a late
    commit is applied first (the vendor did it, its answer came too late).
    """

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.delays: dict[str, float] = {}
        self.sandbox = InProcessTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        call = "read"
        if request.method == "POST":
            call = "commit" if json.loads(request.content).get("GenerateMail") else "preview"
        seconds = self.delays.get(call, 0.0)
        read_timeout = request.extensions["timeout"]["read"]
        if seconds > read_timeout:
            if call == "commit":
                self.sandbox.handle_request(request)
            self.clock.advance(read_timeout)
            raise httpx.ReadTimeout("the vendor did not answer in time", request=request)
        self.clock.advance(seconds)
        return self.sandbox.handle_request(request)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    """The client's clock; its pauses between tries move it instead of sleeping."""
    clock = FakeClock()
    monkeypatch.setattr(cleverbridge, "monotonic", clock)
    monkeypatch.setattr(cleverbridge, "pause", clock.advance)
    return clock


@pytest.fixture
def slow(clock, monkeypatch, settings) -> SlowSandbox:
    """The production timeouts and deadlines against the sandbox, which answers at once until a test slows it."""
    settings.CLEVERBRIDGE_CONNECT_TIMEOUT = 5.0
    settings.CLEVERBRIDGE_READ_TIMEOUT = 20.0
    settings.CLEVERBRIDGE_MAX_TRIES = 3
    settings.CLEVERBRIDGE_READ_DEADLINE = 8.0
    settings.CLEVERBRIDGE_PREVIEW_DEADLINE = 12.0
    settings.CLEVERBRIDGE_COMMIT_DEADLINE = 20.0
    transport = SlowSandbox(clock)
    monkeypatch.setattr(cleverbridge, "make_transport", lambda: transport)
    return transport


def web_worker_seconds() -> float:
    """What a request may take and still record its outcome before gunicorn kills the worker."""
    return settings.GUNICORN_TIMEOUT - settings.WEB_TIMEOUT_MARGIN_SECONDS


def assert_friendly(response) -> None:
    html = response.content.decode()
    assert response.status_code == 503
    assert "Traceback" not in html
    assert "Please try again" in html or "cannot be shown right now" in html


ALL_SLOW = {"read": 19.0, "preview": 19.0, "commit": 19.0}


@pytest.mark.parametrize(
    ("page", "delays"),
    [
        pytest.param("/", ALL_SLOW, id="list"),
        pytest.param(f"/subscriptions/{MONTHLY}/", ALL_SLOW, id="subscription"),
    ],
)
def test_pages_give_the_friendly_503_in_time(anna_client, slow, clock, page, delays):
    slow.delays = delays
    began = clock()

    response = anna_client.get(page)

    assert_friendly(response)
    assert clock() - began <= settings.CLEVERBRIDGE_READ_DEADLINE <= web_worker_seconds()


@pytest.mark.parametrize(
    "delays",
    [pytest.param(ALL_SLOW, id="slow-read"), pytest.param({"preview": 19.0}, id="slow-preview")],
)
def test_preview_gives_the_friendly_503_in_time(anna_client, slow, clock, delays):
    slow.delays = delays
    began = clock()

    response, quote = preview(anna_client, MONTHLY, **SEATS)

    assert_friendly(response)
    assert quote is None
    assert clock() - began <= web_worker_seconds()


@pytest.mark.parametrize(
    ("delays", "state"),
    [
        pytest.param(ALL_SLOW, "not_sent", id="slow-read"),
        pytest.param({"preview": 19.0}, "not_sent", id="slow-preview"),
        pytest.param({"commit": 25.0}, "outcome_unknown", id="slow-commit"),
    ],
)
def test_confirm_ends_in_a_receipt_in_time(anna_client, slow, clock, delays, state):
    """The confirmation records what happened (never left `committing`) and shows the receipt; never a 500."""
    _response, quote = preview(anna_client, MONTHLY, **SEATS)
    slow.delays = delays
    began = clock()

    response = commit(anna_client, quote)

    assert clock() - began <= web_worker_seconds()
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.state == state
    receipt = anna_client.get(response.url)
    assert receipt.status_code == 200
    assert "Traceback" not in receipt.content.decode()


def test_the_slowest_vendor_that_still_answers_fits_inside_the_web_worker(anna_client, slow, clock):
    """Each call answered just before its deadline: the confirmation's read, preview and commit all succeed, and
    the request ends with the margin to spare."""
    _response, quote = preview(anna_client, MONTHLY, **SEATS)
    slow.delays = {
        "read": settings.CLEVERBRIDGE_READ_DEADLINE - 0.1,
        "preview": settings.CLEVERBRIDGE_PREVIEW_DEADLINE - 0.1,
        "commit": settings.CLEVERBRIDGE_COMMIT_DEADLINE - 0.1,
    }
    began = clock()

    response = commit(anna_client, quote)

    assert response.status_code == 302
    assert Quote.objects.get(pk=quote.pk).state == "committed"
    assert clock() - began == pytest.approx(
        settings.CLEVERBRIDGE_READ_DEADLINE
        + settings.CLEVERBRIDGE_PREVIEW_DEADLINE
        + settings.CLEVERBRIDGE_COMMIT_DEADLINE
        - 0.3
    )
    assert clock() - began <= web_worker_seconds()
