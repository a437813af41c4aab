"""Every HTTP attempt draws its own permit from the shared vendor budget, in the class of its call."""

import logging

import httpx
import pytest

from subscriptions.cleverbridge import IncreaseQuantity, Unavailable
from subscriptions.cleverbridge.budget import MAX_WAIT_SECONDS, Kind
from tests.client.scripted import Vendor, fixture_text, reply

OK_READ = (200, fixture_text("getsubscription.json"), {})
OK_PREVIEW = (200, fixture_text("increasesubscriptionitemquantity-preview.json"), {})
FAILING = reply(500, {"ResultMessage": "Internal error"})
TOO_MANY = reply(429, {"ResultMessage": "Too many requests"}, {"Retry-After": "60"})
CHANGE = IncreaseQuantity(subscription_id=68574751, running_no=1, add_quantity=15)


@pytest.fixture
def permits(budget, monkeypatch) -> list[str]:
    """The class of every permit the client asks for."""
    asked: list[str] = []
    acquire = budget.acquire

    def counted(*, kind, **kwargs):
        asked.append(str(kind))
        return acquire(kind=kind, **kwargs)

    monkeypatch.setattr(budget, "acquire", counted)
    return asked


@pytest.mark.parametrize(
    ("call", "answer", "kind"),
    [
        pytest.param(lambda client: client.get_subscription(68574751), OK_READ, "read", id="read"),
        pytest.param(lambda client: client.get_subscriptions_for_customer(customer_id=1), OK_READ, "read", id="lookup"),
        pytest.param(
            lambda client: client.get_subscriptions_for_customer(email="a@example.com", kind="anonymous"),
            OK_READ,
            "anonymous",
            id="anonymous-lookup",
        ),
        pytest.param(lambda client: client.preview(CHANGE), OK_PREVIEW, "preview", id="preview"),
        pytest.param(lambda client: client.commit(CHANGE), OK_PREVIEW, "commit", id="commit"),
    ],
)
def test_each_call_takes_a_permit_of_its_class(client_for, permits, budget, call, answer, kind):
    call(client_for(Vendor(answer)))

    assert permits == [kind]
    assert budget.state().in_flight == 0, "the slot is given back"


def test_each_retry_takes_a_permit_of_its_own(client_for, permits):
    vendor = Vendor(FAILING, FAILING, OK_READ)
    client_for(vendor).get_subscription(68574751)

    assert permits == ["read", "read", "read"]
    assert len(vendor.requests) == 3


def test_the_slot_is_held_for_the_attempt_only(client_for, budget, sleep, monkeypatch):
    in_flight_during_attempts: list[int] = []
    in_flight_during_pauses: list[int] = []
    script = Vendor(FAILING, OK_READ)

    def vendor(request):
        in_flight_during_attempts.append(budget.state().in_flight)
        return script(request)

    def pause(seconds):
        in_flight_during_pauses.append(budget.state().in_flight)
        sleep(seconds)

    client = client_for(vendor)
    monkeypatch.setattr(client, "_sleep", pause)
    client.get_subscription(68574751)

    assert in_flight_during_attempts == [1, 1]
    assert in_flight_during_pauses == [0]
    assert budget.state().in_flight == 0


def test_lookups_are_reads_or_anonymous_only(client_for):
    with pytest.raises(ValueError, match="read or anonymous"):
        client_for(Vendor(OK_READ)).get_subscriptions_for_customer(customer_id=1, kind="commit")


def test_an_exhausted_budget_sends_nothing_and_says_when_to_come_back(client_for, budget, clock, caplog):
    held = [budget.acquire(kind="read", lease_seconds=30.0) for _ in range(3)]  # reads leave the 4th slot free
    vendor = Vendor(OK_READ)

    with caplog.at_level(logging.WARNING, logger="subscriptions.cleverbridge"):
        began = clock()
        with pytest.raises(Unavailable) as caught:
            client_for(vendor).get_subscription(68574751)

    assert vendor.requests == []
    assert caught.value.status is None
    assert caught.value.retry_after >= 1
    assert clock() - began <= MAX_WAIT_SECONDS[Kind.READ]
    refusals = [record for record in caplog.records if "refused by the vendor budget" in record.getMessage()]
    assert len(refusals) == 1
    for permit in held:
        budget.release(permit)


def test_a_commit_refused_by_the_budget_is_not_sent(client_for, budget):
    budget.blocked(60)
    vendor = Vendor(OK_PREVIEW)

    with pytest.raises(Unavailable) as caught:
        client_for(vendor).commit(CHANGE)

    assert vendor.requests == []
    assert caught.value.exchange.status is None
    assert caught.value.exchange.request_body["GenerateMail"] is True
    assert 55 <= caught.value.retry_after <= 60
    assert "not sent" in caught.value.message


@pytest.mark.parametrize("call", [lambda client: client.get_subscription(68574751), lambda c: c.preview(CHANGE)])
def test_a_429_blocks_every_caller_at_once_without_waiting(client_for, budget, sleep, call):
    first = Vendor(TOO_MANY, OK_READ)
    other = Vendor(OK_READ)

    with pytest.raises(Unavailable) as caught:
        call(client_for(first))
    with pytest.raises(Unavailable):
        client_for(other).get_subscription(68574751)

    assert caught.value.retry_after == 60
    assert len(first.requests) == 1
    assert other.requests == [], "nobody calls the vendor while it blocks us"
    assert sleep.calls == [], "the retry loop does not sleep through a block"
    assert budget.state().blocked_until is not None


def test_a_429_on_a_commit_blocks_the_others(client_for, budget):
    with pytest.raises(Unavailable):
        client_for(Vendor(TOO_MANY)).commit(CHANGE)
    assert budget.state().blocked_until is not None


def test_the_budget_is_drawn_from_over_real_http_too(client_for, permits):
    """The transport makes no difference: what counts is that the request went out through a permit."""
    vendor = Vendor(httpx.ConnectError, OK_READ)
    client_for(vendor).get_subscription(68574751)
    assert permits == ["read", "read"]
