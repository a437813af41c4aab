"""get_client() gives one client per process, built once from settings, and refuses to run half-configured."""

import threading

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from subscriptions.cleverbridge import client as cleverbridge
from subscriptions.cleverbridge.budget import BudgetConfig, VendorBudget, set_budget
from tests.budget.clock import FakeClock
from tests.client.scripted import Vendor, fixture_text, reply

OK_READ = (200, fixture_text("getsubscription.json"), {})


@pytest.fixture
def transports(monkeypatch) -> list[httpx.MockTransport]:
    """Every transport get_client() builds, each answering every read with the guide's subscription."""
    built: list[httpx.MockTransport] = []

    def make() -> httpx.MockTransport:
        built.append(httpx.MockTransport(Vendor(OK_READ)))
        return built[-1]

    monkeypatch.setattr(cleverbridge, "make_transport", make)
    return built


@pytest.mark.parametrize("name", ["CLEVERBRIDGE_API_URL", "CLEVERBRIDGE_API_USER", "CLEVERBRIDGE_API_PASSWORD"])
def test_missing_setting_is_named(settings, name):
    setattr(settings, name, "")
    with pytest.raises(ImproperlyConfigured, match=name):
        cleverbridge.get_client()


def test_many_requests_share_one_client_and_one_transport(transports):
    clients = {id(cleverbridge.get_client()) for _ in range(20)}
    for _ in range(5):
        cleverbridge.get_client().get_subscription(68574751)

    assert len(clients) == 1
    assert len(transports) == 1


def test_many_threads_share_one_client_and_one_transport(transports):
    clients: list[cleverbridge.CleverbridgeClient] = []
    start = threading.Barrier(8)

    def page_view() -> None:
        start.wait()
        client = cleverbridge.get_client()
        client.get_subscription(68574751)
        clients.append(client)

    threads = [threading.Thread(target=page_view) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(clients) == 8
    assert len({id(client) for client in clients}) == 1
    assert len(transports) == 1


def test_the_tls_context_is_built_once(monkeypatch):
    """The production transport loads the CA bundle once per process, not once per request."""
    monkeypatch.setattr(cleverbridge, "make_transport", cleverbridge.http_transport)
    create = httpx._transports.default.create_ssl_context
    contexts = []

    def counted(*args, **kwargs):
        contexts.append(1)
        return create(*args, **kwargs)

    monkeypatch.setattr(httpx._transports.default, "create_ssl_context", counted)
    for _ in range(10):
        cleverbridge.get_client()

    assert len(contexts) == 1


def test_client_follows_settings(settings, monkeypatch):
    vendor = Vendor(reply(500, {"ResultMessage": "Internal error"}))
    monkeypatch.setattr(cleverbridge, "make_transport", lambda: httpx.MockTransport(vendor))
    monkeypatch.setattr(cleverbridge, "monotonic", FakeClock())
    before = cleverbridge.get_client()

    settings.CLEVERBRIDGE_API_URL = "https://api.example.test/base/"
    settings.CLEVERBRIDGE_MAX_TRIES = 1
    settings.CLEVERBRIDGE_CONNECT_TIMEOUT = 2.5
    settings.CLEVERBRIDGE_READ_TIMEOUT = 7.0
    settings.CLEVERBRIDGE_READ_DEADLINE = 6.0
    client = cleverbridge.get_client()
    with pytest.raises(cleverbridge.Unavailable):
        client.get_subscription(1)

    assert client is not before
    assert before._http.is_closed
    assert len(vendor.requests) == 1
    assert str(vendor.requests[0].url).startswith("https://api.example.test/base/subscription/getsubscription?")
    assert client._http.timeout == httpx.Timeout(connect=2.5, read=7.0, write=7.0, pool=2.5)
    assert vendor.requests[0].extensions["timeout"] == {"connect": 2.5, "read": 6.0, "write": 6.0, "pool": 2.5}
    assert client.deadlines.read == 6.0


def test_settings_the_client_does_not_read_keep_it(transports):
    client = cleverbridge.get_client()
    with override_settings(QUOTE_VALID_MINUTES=99):
        assert cleverbridge.get_client() is client
    assert len(transports) == 1


def test_a_new_transport_or_budget_builds_a_new_client(transports, monkeypatch):
    first = cleverbridge.get_client()
    set_budget(VendorBudget(BudgetConfig()))
    second = cleverbridge.get_client()
    monkeypatch.setattr(cleverbridge, "make_transport", lambda: httpx.MockTransport(Vendor(OK_READ)))
    third = cleverbridge.get_client()

    assert len({id(first), id(second), id(third)}) == 3


def test_reset_closes_the_client_and_the_next_use_builds_one(transports):
    client = cleverbridge.get_client()
    cleverbridge.reset_client()

    assert client._http.is_closed
    assert cleverbridge.get_client() is not client
    assert len(transports) == 2


def test_the_shared_client_cannot_be_closed_by_a_with_block(transports):
    with pytest.raises(TypeError), cleverbridge.get_client():
        pass
    assert not cleverbridge.get_client()._http.is_closed


def test_production_transport_is_plain_http():
    assert isinstance(cleverbridge.http_transport(), httpx.HTTPTransport)
