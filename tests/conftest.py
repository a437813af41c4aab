"""Fixtures every suite shares.

The product talks to the vendor only over HTTP. In tests that HTTP goes to the
sandbox in the same process (through Django's test client), so no test reaches
the network and the sandbox's own rules answer every call.
"""

import time

import httpx
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from tests.budget.clock import FakeClock

SANDBOX_API_URL = "http://testserver/sandbox/api"


class InProcessTransport(httpx.BaseTransport):
    """An httpx transport that hands each request to this Django project in-process."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        language = translation.get_language()
        try:
            return self._forward(request)
        finally:
            # The sandbox's request runs LocaleMiddleware in this thread; the page keeps its own language.
            translation.activate(language)

    def _forward(self, request: httpx.Request) -> httpx.Response:
        django_client = Client(raise_request_exception=False)
        skip = {"host", "content-length", "content-type"}
        headers = {name: value for name, value in request.headers.items() if name.lower() not in skip}
        response = django_client.generic(
            request.method,
            request.url.raw_path.decode("ascii"),
            data=request.read(),
            content_type=request.headers.get("content-type", "application/octet-stream"),
            headers=headers,
        )
        return httpx.Response(
            response.status_code,
            headers=list(response.items()),
            content=response.content,
            request=request,
        )


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Mail stays in memory; the vendor's API is the in-process sandbox with its demo credentials."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CLEVERBRIDGE_API_URL = SANDBOX_API_URL
    settings.CLEVERBRIDGE_API_USER = "sandbox"
    settings.CLEVERBRIDGE_API_PASSWORD = "sandbox"
    settings.DEMO_CLOCK_BANNER = False  # its clock read would count as a vendor call; tests/web/test_demo_banner.py
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """Every test ends with no language active in its thread, as it began.

    Django's LocaleMiddleware activates each request's language in the thread and leaves it there (the next request
    sets its own); the test client runs requests in the test's thread, so a German page would leave later tests German.
    """
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def vendor_clock(monkeypatch) -> FakeClock | None:
    """Route the product's client to the in-process sandbox (tests using live_server undo this).

    Each test starts with a fresh shared client and a fresh vendor budget in memory, whose waits move a fake clock
    instead of sleeping; the clock is the fixture's value (`vendor_clock.advance(61)` lets a vendor's block pass).
    """
    try:
        import subscriptions.cleverbridge.client as cleverbridge
        from subscriptions.cleverbridge.budget import BudgetConfig, VendorBudget, reset_budget, set_budget
    except ImportError:
        yield None
        return
    monkeypatch.setattr(cleverbridge, "make_transport", InProcessTransport)
    clock = FakeClock(time.time())
    set_budget(VendorBudget(BudgetConfig(), clock=clock, sleep=clock.sleep))
    cleverbridge.reset_client()
    yield clock
    cleverbridge.reset_client()
    reset_budget()


@pytest.fixture(autouse=True)
def vendor_pauses(monkeypatch) -> list[float]:
    """The client's pauses between retries, recorded instead of slept: no test waits on the wall clock."""
    pauses: list[float] = []
    monkeypatch.setattr("subscriptions.cleverbridge.client.pause", pauses.append)
    return pauses


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's superuser client, past the admin's TOTP step (every admin page needs it)."""
    from tests.admin.otp import verified

    return verified(admin_user)


# CI names the suites it expects (REQUIRE_SUITES=postgres,browser): each must run, pass and never be skipped.
_suite_outcomes: dict[str, list[str]] = {}


def _required_suites() -> list[str]:
    import os

    return [name.strip() for name in os.environ.get("REQUIRE_SUITES", "").split(",") if name.strip()]


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        for suite in _required_suites():
            if suite in report.keywords:
                _suite_outcomes.setdefault(suite, []).append(report.outcome)


def pytest_sessionfinish(session, exitstatus):
    problems = []
    for suite in _required_suites():
        outcomes = _suite_outcomes.get(suite, [])
        if not outcomes:
            problems.append(f"required suite '{suite}' ran no test")
        elif "skipped" in outcomes:
            problems.append(f"required suite '{suite}' had {outcomes.count('skipped')} skipped test(s)")
    if problems:
        import sys

        print("\n" + "\n".join(f"REQUIRE_SUITES: {p}" for p in problems), file=sys.stderr)
        session.exitstatus = 1
