"""Sandbox tests: known credentials, no rate limit unless a test asks, no real sleeping, fresh cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.sandbox.api import SandboxAPI


@pytest.fixture(autouse=True)
def _sandbox_settings(settings):
    settings.CLEVERBRIDGE_API_USER = "sandbox"
    settings.CLEVERBRIDGE_API_PASSWORD = "sandbox"
    settings.SANDBOX_RATE_LIMIT_PER_SECOND = 0
    settings.SANDBOX_RATE_LIMIT_BLOCK_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def slept(monkeypatch) -> list[float]:
    """Every pause the sandbox would have made, instead of making it."""
    pauses: list[float] = []
    monkeypatch.setattr("sandbox.views.sleep", pauses.append)
    return pauses


@pytest.fixture
def api(client, db) -> SandboxAPI:
    return SandboxAPI(client)


@pytest.fixture
def demo(db):
    """The demo scenario, with the clock at its time (the first guide's preview moment)."""
    from sandbox.scenarios import DEMO_SCENARIO, scenario_load_file

    return scenario_load_file(DEMO_SCENARIO, reset=True)
