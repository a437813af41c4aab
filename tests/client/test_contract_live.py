"""The client over real HTTP against the sandbox in a live server: real sockets, real timeouts."""

import socket
import threading

import pytest
from django.core.signals import request_finished

from sandbox import views as sandbox_views
from subscriptions.cleverbridge import IncreaseQuantity, OutcomeUnknown
from subscriptions.cleverbridge import client as cleverbridge
from tests.client.sandbox_control import GUIDE_NOW, SUBSCRIPTION_ID, Sandbox
from tests.client.scripted import FakeSleep

pytestmark = pytest.mark.django_db(transaction=True)

ADD_15 = IncreaseQuantity(subscription_id=SUBSCRIPTION_ID, running_no=1, add_quantity=15)


@pytest.fixture
def sandbox(live_server, settings, monkeypatch) -> Sandbox:
    """get_client() goes over the network to the live server; its pauses are recorded, not slept."""
    settings.CLEVERBRIDGE_API_URL = live_server.url + "/sandbox/api"
    monkeypatch.setattr(cleverbridge, "make_transport", cleverbridge.http_transport)
    monkeypatch.setattr(cleverbridge, "pause", FakeSleep())
    control = Sandbox()
    control.load()
    control.set_clock(GUIDE_NOW)
    return control


def test_read_preview_and_commit_over_http(sandbox):
    client = cleverbridge.get_client()

    assert client.get_subscription(SUBSCRIPTION_ID).item(1).quantity == 10
    assert str(client.preview(ADD_15).charge_now.net) == "974.70"
    assert str(client.commit(ADD_15).next_billing.gross) == "2000.00"
    assert client.get_subscription(SUBSCRIPTION_ID).item(1).quantity == 25
    assert len(sandbox.charges()) == 1


@pytest.fixture
def stalled_request_finished(monkeypatch):
    """An event set when the sandbox's stalled request has fully finished on the server.

    Waiting for it keeps the server thread from touching the database after the test has ended.
    """
    stall_over = threading.Event()
    finished = threading.Event()
    real_sleep = sandbox_views.sleep

    def sleep_then_flag(seconds: float) -> None:
        real_sleep(seconds)
        stall_over.set()

    def on_finished(**kwargs) -> None:
        if stall_over.is_set():
            finished.set()

    monkeypatch.setattr(sandbox_views, "sleep", sleep_then_flag)
    request_finished.connect(on_finished, weak=False)
    yield finished
    request_finished.disconnect(on_finished)


def test_commit_timing_out_after_being_applied_is_outcome_unknown(sandbox, settings, stalled_request_finished):
    """The one real stall: the sandbox applies the change, then holds the answer past the read timeout."""
    settings.CLEVERBRIDGE_READ_TIMEOUT = 0.2
    sandbox.fault("apply_then_stall", delay_seconds=1.0)

    with pytest.raises(OutcomeUnknown) as caught:
        cleverbridge.get_client().commit(ADD_15)

    assert caught.value.status is None
    assert caught.value.exchange.request_body == ADD_15.request_body(preview=False)
    assert 150 <= caught.value.exchange.duration_ms < 1000
    assert len(sandbox.charges()) == 1
    assert stalled_request_finished.wait(timeout=10)


def test_nothing_listening_is_unavailable(settings, monkeypatch):
    """A refused connection on a commit means nothing was sent."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    settings.CLEVERBRIDGE_API_URL = f"http://127.0.0.1:{free_port}/sandbox/api"
    monkeypatch.setattr(cleverbridge, "make_transport", cleverbridge.http_transport)
    monkeypatch.setattr(cleverbridge, "pause", FakeSleep())

    with pytest.raises(cleverbridge.Unavailable) as caught:
        cleverbridge.get_client().commit(ADD_15)
    assert caught.value.exchange.status is None
