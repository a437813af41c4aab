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
    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
