"""Fixtures every suite shares.

The product talks to the vendor only over HTTP. In tests that HTTP goes to the
sandbox in the same process (through Django's test client), so no test reaches
the network and the sandbox's own rules answer every call.
"""

import httpx
import pytest
from django.core.cache import cache
from django.test import Client

SANDBOX_API_URL = "http://testserver/sandbox/api"


class InProcessTransport(httpx.BaseTransport):
    """An httpx transport that hands each request to this Django project in-process."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
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
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _in_process_vendor(monkeypatch):
    """Route the product's client to the in-process sandbox (tests using live_server undo this)."""
    try:
        import subscriptions.cleverbridge as cleverbridge
    except ImportError:
        return
    monkeypatch.setattr(cleverbridge, "make_transport", InProcessTransport)
