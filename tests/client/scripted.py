"""A scripted vendor behind httpx.MockTransport and a sleep that only records, for the client's unit tests."""

import json
from pathlib import Path

import httpx

FIXTURES = Path(__file__).parent / "fixtures"
USER = "api-user"
PASSWORD = "pa55-w0rd-never-logged"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def reply(status: int = 200, body: dict | str | None = None, headers: dict | None = None) -> tuple:
    """One scripted answer; a dict body is sent as JSON, a str body as is."""
    text = json.dumps(body) if isinstance(body, dict) else (body or "")
    return (status, text, headers or {})


class Vendor:
    """Answers requests from a script, one step per request (the last step repeats), and keeps every request."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if isinstance(step, type) and issubclass(step, Exception):
            raise step("scripted failure", request=request)
        status, text, headers = step
        return httpx.Response(status, text=text, headers=headers, request=request)

    def bodies(self) -> list[dict]:
        return [json.loads(request.content) for request in self.requests]


class FakeSleep:
    """Records each pause and, given a clock, moves it on by the pause instead of sleeping."""

    def __init__(self, clock=None):
        self.calls: list[float] = []
        self._clock = clock

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self._clock is not None:
            self._clock.advance(seconds)


class SlowVendor:
    """A vendor that takes `seconds` to answer each request, on a fake clock.

    Within the request's read timeout it answers from `answers` (a Vendor); past it the clock moves on by the timeout
    and the request times out, as httpx's would. With `forward_late`, a late request still reaches the vendor first
    (a commit it applies, answering too late).
    """

    def __init__(self, clock, seconds: float, answers, *, forward_late: bool = False):
        self.clock = clock
        self.seconds = seconds
        self.answers = answers
        self.forward_late = forward_late
        self.timeouts: list[dict] = []
        self.started: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions["timeout"]
        self.timeouts.append(timeout)
        self.started.append(self.clock())
        if self.seconds > timeout["read"]:
            if self.forward_late:
                self.answers(request)
            self.clock.advance(timeout["read"])
            raise httpx.ReadTimeout("the vendor did not answer in time", request=request)
        self.clock.advance(self.seconds)
        return self.answers(request)
