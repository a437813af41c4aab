"""get_client() builds the client from settings at call time and refuses to run half-configured."""

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured

from subscriptions.cleverbridge import client as cleverbridge
from tests.client.scripted import Vendor, reply


@pytest.mark.parametrize("name", ["CLEVERBRIDGE_API_URL", "CLEVERBRIDGE_API_USER", "CLEVERBRIDGE_API_PASSWORD"])
def test_missing_setting_is_named(settings, name):
    setattr(settings, name, "")
    with pytest.raises(ImproperlyConfigured, match=name):
        cleverbridge.get_client()


def test_client_follows_settings(settings, monkeypatch):
    vendor = Vendor(reply(500, {"ResultMessage": "Internal error"}))
    built = []

    def transport():
        built.append(1)
        return httpx.MockTransport(vendor)

    monkeypatch.setattr(cleverbridge, "make_transport", transport)
    settings.CLEVERBRIDGE_API_URL = "https://api.example.test/base/"
    settings.CLEVERBRIDGE_MAX_TRIES = 1
    settings.CLEVERBRIDGE_CONNECT_TIMEOUT = 2.5
    settings.CLEVERBRIDGE_READ_TIMEOUT = 7.0

    client = cleverbridge.get_client()
    with pytest.raises(cleverbridge.Unavailable):
        client.get_subscription(1)
    cleverbridge.get_client()

    assert len(vendor.requests) == 1
    assert str(vendor.requests[0].url).startswith("https://api.example.test/base/subscription/getsubscription?")
    assert client._http.timeout == httpx.Timeout(connect=2.5, read=7.0, write=7.0, pool=2.5)
    assert len(built) == 2


def test_production_transport_is_plain_http():
    assert isinstance(cleverbridge.http_transport(), httpx.HTTPTransport)
