"""Every call ends within its class's deadline, tries, pauses and budget waits included, on a fake clock."""

import httpx
import pytest

from subscriptions.cleverbridge import IncreaseQuantity, OutcomeUnknown, Unavailable
from subscriptions.cleverbridge.client import MIN_ATTEMPT_SECONDS, Deadlines
from tests.client.scripted import SlowVendor, Vendor, fixture_text, reply

OK_READ = (200, fixture_text("getsubscription.json"), {})
OK_PREVIEW = (200, fixture_text("increasesubscriptionitemquantity-preview.json"), {})
OK_COMMIT = OK_PREVIEW  # a commit is answered in the same shape
FAILING = reply(500, {"ResultMessage": "Internal error"})
CHANGE = IncreaseQuantity(subscription_id=68574751, running_no=1, add_quantity=15)
PRODUCTION_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=20.0, pool=5.0)
DEADLINES = Deadlines(read=8.0, preview=12.0, commit=20.0)


@pytest.fixture
def slow_client(client_for, clock):
    """A client with the production timeouts and deadlines against a vendor that takes `seconds` per request."""

    def build(seconds: float, *steps, forward_late: bool = False):
        vendor = SlowVendor(clock, seconds, Vendor(*steps), forward_late=forward_late)
        return client_for(vendor, timeout=PRODUCTION_TIMEOUT, deadlines=DEADLINES), vendor

    return build


@pytest.mark.parametrize(
    ("call", "answer", "deadline"),
    [
        pytest.param(lambda client: client.get_subscription(68574751), OK_READ, 8.0, id="read"),
        pytest.param(
            lambda client: client.get_subscriptions_for_customer(email="a@example.com", kind="anonymous"),
            OK_READ,
            8.0,
            id="anonymous-lookup",
        ),
        pytest.param(lambda client: client.preview(CHANGE), OK_PREVIEW, 12.0, id="preview"),
    ],
)
def test_a_vendor_slower_than_the_deadline_is_given_up_within_it(slow_client, clock, call, answer, deadline):
    client, vendor = slow_client(19.0, answer)
    began = clock()

    with pytest.raises(Unavailable):
        call(client)

    assert clock() - began <= deadline
    assert vendor.timeouts[0] == {"connect": 5.0, "read": deadline, "write": deadline, "pool": 5.0}
    assert len(vendor.timeouts) == 1, "no time was left for a second try"


def test_a_commit_answered_after_its_deadline_is_outcome_unknown(slow_client, clock):
    client, vendor = slow_client(25.0, OK_COMMIT, forward_late=True)
    began = clock()

    with pytest.raises(OutcomeUnknown):
        client.commit(CHANGE)

    assert clock() - began <= 20.0
    assert len(vendor.answers.requests) == 1, "sent exactly once"


def test_a_commit_answered_just_in_time_is_committed(slow_client, clock):
    client, _vendor = slow_client(19.0, OK_COMMIT)
    assert client.commit(CHANGE).charge_now is not None


def test_retries_get_only_the_time_that_is_left(slow_client, clock):
    client, vendor = slow_client(3.0, FAILING)
    began = clock()

    with pytest.raises(Unavailable):
        client.get_subscription(68574751)

    assert clock() - began <= 8.0
    # 3 s, pause 0.2 s, 3 s, pause 0.4 s: 1.4 s are left for the third try, which times out at the deadline.
    assert [timeout["read"] for timeout in vendor.timeouts] == pytest.approx([8.0, 4.8, 1.4])
    assert clock() - began == pytest.approx(8.0)


def test_no_try_starts_without_time_for_it(slow_client, clock, sleep):
    client, vendor = slow_client(8.0 - MIN_ATTEMPT_SECONDS, FAILING)

    with pytest.raises(Unavailable):
        client.get_subscription(68574751)

    assert len(vendor.timeouts) == 1
    assert sleep.calls == [], "no pause before a try that will not come"


def test_a_short_retry_after_is_not_waited_for_past_the_deadline(slow_client, clock, sleep):
    client, vendor = slow_client(4.0, reply(429, {}, {"Retry-After": "5"}), OK_READ)

    with pytest.raises(Unavailable) as caught:
        client.get_subscription(68574751)

    assert caught.value.retry_after == 5
    assert len(vendor.timeouts) == 1
    assert sleep.calls == []


def test_waiting_for_the_budget_counts_against_the_deadline(slow_client, clock, budget):
    """Other calls hold every slot for 6 s more: the commit waits for one, then has what is left of its 20 s."""
    held = [budget.acquire(kind="commit", lease_seconds=6.0) for _ in range(budget.config.max_concurrent)]
    client, vendor = slow_client(19.0, OK_COMMIT, forward_late=True)
    began = clock()

    with pytest.raises(OutcomeUnknown):
        client.commit(CHANGE)

    waited = vendor.started[0] - began
    assert 6.0 <= waited < 7.0
    assert vendor.timeouts[0]["read"] == pytest.approx(20.0 - waited)
    assert clock() - began == pytest.approx(20.0)
    for permit in held:
        budget.release(permit)
