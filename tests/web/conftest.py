import httpx
import pytest
from django.utils import translation

from tests.cast import *  # noqa: F403
from tests.conftest import InProcessTransport


class LanguageKeepingTransport(InProcessTransport):
    """The in-process sandbox request runs LocaleMiddleware in this thread; keep the page's language."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        language = translation.get_language()
        try:
            return super().handle_request(request)
        finally:
            translation.activate(language)


@pytest.fixture(autouse=True)
def _in_process_vendor(monkeypatch):
    """Overrides the root fixture of the same name: same routing, without losing the active language."""
    import subscriptions.cleverbridge as cleverbridge

    monkeypatch.setattr(cleverbridge, "make_transport", LanguageKeepingTransport)


@pytest.fixture(autouse=True)
def vendor_pauses(monkeypatch) -> list[float]:
    """The client's pauses between retries, recorded instead of slept."""
    pauses: list[float] = []
    monkeypatch.setattr("subscriptions.cleverbridge.pause", pauses.append)
    return pauses
