import pytest

from tests.cast import *  # noqa: F403


@pytest.fixture(autouse=True)
def vendor_pauses(monkeypatch) -> list[float]:
    """The client's pauses between retries, recorded instead of slept."""
    pauses: list[float] = []
    monkeypatch.setattr("subscriptions.cleverbridge.pause", pauses.append)
    return pauses
