"""Every failure becomes Rejected, Unavailable or OutcomeUnknown; reads and previews are retried, commits never."""

import base64
import logging

import httpx
import pytest

from subscriptions.cleverbridge import (
    IncreaseQuantity,
    OutcomeUnknown,
    Rejected,
    Unavailable,
    UpdateItem,
)
from tests.client.scripted import PASSWORD, USER, Vendor, fixture_text, reply

SUBSCRIPTION = fixture_text("getsubscription.json")
PREVIEW = fixture_text("increasesubscriptionitemquantity-preview.json")
OK_READ = (200, SUBSCRIPTION, {})
OK_PREVIEW = (200, PREVIEW, {})
CHANGE = IncreaseQuantity(subscription_id=68574751, running_no=1, add_quantity=15)


def read(client):
    return client.get_subscription(68574751)


def preview(client):
    return client.preview(CHANGE)


def commit(client):
    return client.commit(CHANGE)


RETRIED = [pytest.param(read, OK_READ, id="read"), pytest.param(preview, OK_PREVIEW, id="preview")]
RETRIED_CALLS = [pytest.param(read, id="read"), pytest.param(preview, id="preview")]

TRANSIENT = [
    pytest.param(reply(500, {"ResultMessage": "Internal error"}), id="500"),
    pytest.param(reply(503, "<html>Service Unavailable</html>"), id="503-html"),
    pytest.param(reply(200, "<html>maintenance</html>"), id="200-unreadable"),
    pytest.param(reply(200, "[1, 2]"), id="200-not-an-object"),
    pytest.param(httpx.ConnectError, id="connect-error"),
    pytest.param(httpx.ConnectTimeout, id="connect-timeout"),
    pytest.param(httpx.ReadTimeout, id="read-timeout"),
    pytest.param(httpx.RemoteProtocolError, id="protocol-error"),
]


# --- Reads and previews ------------------------------------------------------


@pytest.mark.parametrize("call", RETRIED_CALLS)
@pytest.mark.parametrize("failure", TRANSIENT)
def test_transient_failure_is_tried_three_times_then_unavailable(client_for, sleep, call, failure):
    vendor = Vendor(failure)

    with pytest.raises(Unavailable) as caught:
        call(client_for(vendor))

    assert len(vendor.requests) == 3
    assert sleep.calls == [0.2, 0.4]
    assert caught.value.exchange is not None
    assert caught.value.retry_after is None


@pytest.mark.parametrize(("call", "ok"), RETRIED)
@pytest.mark.parametrize("failure", TRANSIENT)
def test_transient_failure_then_success(client_for, sleep, call, ok, failure):
    vendor = Vendor(failure, failure, ok)

    assert call(client_for(vendor)) is not None

    assert len(vendor.requests) == 3
    assert sleep.calls == [0.2, 0.4]


def test_retries_follow_max_tries(client_for, sleep):
    vendor = Vendor(reply(500, {"ResultMessage": "Internal error"}))

    with pytest.raises(Unavailable) as caught:
        read(client_for(vendor, max_tries=4))

    assert len(vendor.requests) == 4
    assert sleep.calls == [0.2, 0.4, 0.8]
    assert caught.value.status == 500


def test_a_single_try_means_no_retry(client_for, sleep):
    vendor = Vendor(httpx.ReadTimeout)
    with pytest.raises(Unavailable):
        preview(client_for(vendor, max_tries=1))
    assert len(vendor.requests) == 1
    assert sleep.calls == []


@pytest.mark.parametrize("call", RETRIED_CALLS)
@pytest.mark.parametrize(
    ("status", "message"),
    [
        (400, "Missing required field."),
        (401, "Unauthorized"),
        (402, "Quantity must be greater than the current quantity."),
        (404, "Item not found"),
    ],
)
def test_vendor_no_is_rejected_at_once(client_for, sleep, call, status, message):
    vendor = Vendor(reply(status, {"ResultMessage": message}))

    with pytest.raises(Rejected) as caught:
        call(client_for(vendor))

    assert (caught.value.status, caught.value.message) == (status, message)
    assert caught.value.exchange.status == status
    assert len(vendor.requests) == 1
    assert sleep.calls == []


def test_rejection_without_json_uses_the_reason_phrase(client_for):
    with pytest.raises(Rejected) as caught:
        read(client_for(Vendor(reply(404, "<html>nope</html>"))))
    assert caught.value.message == "Not Found"


@pytest.mark.parametrize("call", RETRIED_CALLS)
def test_ok_status_with_a_failure_message_is_rejected(client_for, call):
    vendor = Vendor(reply(200, {"ResultMessage": "Subscription is not active"}))

    with pytest.raises(Rejected) as caught:
        call(client_for(vendor))

    assert caught.value.message == "Subscription is not active"
    assert caught.value.status == 200
    assert len(vendor.requests) == 1


@pytest.mark.parametrize("call", RETRIED_CALLS)
def test_long_retry_after_is_not_waited_for(client_for, sleep, call):
    vendor = Vendor(reply(429, {"ResultMessage": "Too many requests"}, {"Retry-After": "60"}))

    with pytest.raises(Unavailable) as caught:
        call(client_for(vendor))

    assert caught.value.retry_after == 60
    assert caught.value.status == 429
    assert len(vendor.requests) == 1
    assert sleep.calls == []


@pytest.mark.parametrize(("call", "ok"), RETRIED)
def test_short_retry_after_is_honoured(client_for, sleep, call, ok):
    vendor = Vendor(reply(429, {"ResultMessage": "Too many requests"}, {"Retry-After": "2"}), ok)

    assert call(client_for(vendor)) is not None

    assert sleep.calls == [2]
    assert len(vendor.requests) == 2


def test_rate_limit_without_retry_after_is_a_block_of_a_minute(client_for, sleep, budget):
    vendor = Vendor(reply(429, {"ResultMessage": "Too many requests"}), OK_READ)

    with pytest.raises(Unavailable) as caught:
        read(client_for(vendor))

    assert caught.value.retry_after == 60
    assert len(vendor.requests) == 1
    assert sleep.calls == []
    assert budget.state().blocked_until is not None


def test_rate_limit_on_every_try_is_unavailable_with_retry_after(client_for, sleep):
    vendor = Vendor(reply(429, {"ResultMessage": "Too many requests"}, {"Retry-After": "1"}))

    with pytest.raises(Unavailable) as caught:
        read(client_for(vendor))

    assert caught.value.retry_after == 1
    assert len(vendor.requests) == 3
    assert sleep.calls == [1, 1]


def test_retry_after_as_http_date(client_for, sleep):
    vendor = Vendor(reply(429, {}, {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}))
    with pytest.raises(Unavailable) as caught:
        read(client_for(vendor))
    assert caught.value.retry_after > 60
    assert sleep.calls == []


def test_retry_after_of_non_ascii_digits_is_read_as_the_usual_minute(client_for, sleep):
    vendor = Vendor(reply(429, {}, {"Retry-After": "²".encode()}))
    with pytest.raises(Unavailable) as caught:
        read(client_for(vendor))
    assert caught.value.retry_after == 60
    assert sleep.calls == []


# --- Commits -------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(reply(500, {"ResultMessage": "Internal error"}), id="500"),
        pytest.param(reply(502, "<html>Bad Gateway</html>"), id="502-html"),
        pytest.param(reply(200, "<html>oops</html>"), id="200-unreadable"),
        pytest.param(reply(200, {"ResultMessage": "Pending"}), id="200-not-ok"),
        pytest.param(reply(200, {"AlignmentCustomerGrossPrice": 1}), id="200-no-result-message"),
        pytest.param(reply(200, {"ResultMessage": "OK", "AlignmentCustomerGrossPrice": "lots"}), id="200-bad-price"),
        pytest.param(reply(302, "", {"Location": "/elsewhere"}), id="302"),
        pytest.param(httpx.ReadTimeout, id="read-timeout"),
        pytest.param(httpx.WriteTimeout, id="write-timeout"),
        pytest.param(httpx.ReadError, id="read-error"),
        pytest.param(httpx.RemoteProtocolError, id="protocol-error"),
    ],
)
def test_commit_without_a_definite_answer_is_outcome_unknown_after_one_send(client_for, sleep, failure):
    vendor = Vendor(failure, OK_PREVIEW)

    with pytest.raises(OutcomeUnknown) as caught:
        commit(client_for(vendor))

    assert len(vendor.requests) == 1
    assert sleep.calls == []
    assert caught.value.method == "increasesubscriptionitemquantity"
    assert caught.value.exchange.request_body == CHANGE.request_body(preview=False)


def test_commit_500_keeps_the_answer_for_the_audit_trail(client_for):
    vendor = Vendor(reply(500, {"ResultMessage": "Internal error"}))

    with pytest.raises(OutcomeUnknown) as caught:
        commit(client_for(vendor))

    assert caught.value.status == 500
    assert caught.value.exchange.status == 500
    assert "Internal error" in caught.value.exchange.response_text


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_commit_that_could_not_be_sent_is_unavailable(client_for, sleep, failure):
    vendor = Vendor(failure, OK_PREVIEW)

    with pytest.raises(Unavailable) as caught:
        commit(client_for(vendor))

    assert len(vendor.requests) == 1
    assert sleep.calls == []
    assert caught.value.exchange.status is None


def test_rate_limited_commit_is_unavailable_and_not_retried(client_for, sleep):
    vendor = Vendor(reply(429, {"ResultMessage": "Too many requests"}, {"Retry-After": "1"}), OK_PREVIEW)

    with pytest.raises(Unavailable) as caught:
        commit(client_for(vendor))

    assert caught.value.retry_after == 1
    assert len(vendor.requests) == 1
    assert sleep.calls == []


@pytest.mark.parametrize("status", [400, 401, 402, 404])
def test_commit_refused_by_vendor_is_rejected(client_for, status):
    vendor = Vendor(reply(status, {"ResultMessage": "Item not found"}))

    with pytest.raises(Rejected) as caught:
        commit(client_for(vendor))

    assert (caught.value.status, caught.value.message) == (status, "Item not found")
    assert len(vendor.requests) == 1


def test_commit_success(client_for):
    vendor = Vendor(OK_PREVIEW)
    quote = client_for(vendor).commit(UpdateItem(68574751, 1, 293160, total_quantity=25))
    assert quote.exchange.request_body["AlignmentSettings"]["GetCustomerPricePreviewOnly"] is False
    assert quote.exchange.request_body["GenerateMail"] is True
    assert vendor.requests[0].url.path == "/subscription/updatesubscriptionitem"


# --- Logging -------------------------------------------------------------------


def forbidden() -> list[str]:
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return [PASSWORD, token, "Authorization", "Basic "]


def test_each_try_is_logged_without_credentials(client_for, caplog):
    caplog.set_level(logging.INFO, logger="subscriptions.cleverbridge")
    vendor = Vendor(reply(503, {"ResultMessage": "Busy"}), OK_PREVIEW)

    preview(client_for(vendor))

    records = [r for r in caplog.records if r.name == "subscriptions.cleverbridge"]
    first, second = (record.getMessage() for record in records)
    assert "increasesubscriptionitemquantity" in first
    assert "status=503" in first and "try=1/3" in first and "'Busy'" in first and "duration_ms=" in first
    assert records[0].levelno == logging.WARNING
    assert "status=200" in second and "try=2/3" in second and "'OK'" in second
    assert records[1].levelno == logging.INFO
    for secret in forbidden():
        assert secret not in caplog.text


@pytest.mark.parametrize(
    "failure",
    [reply(500, {"ResultMessage": "Internal error"}), reply(401, {"ResultMessage": "Unauthorized"}), httpx.ReadTimeout],
)
def test_failed_commit_is_logged_once_without_credentials(client_for, caplog, failure):
    caplog.set_level(logging.DEBUG)

    with pytest.raises((OutcomeUnknown, Rejected)) as caught:
        commit(client_for(Vendor(failure)))

    lines = [r.getMessage() for r in caplog.records if r.name == "subscriptions.cleverbridge"]
    assert len(lines) == 1
    assert "try=1/1" in lines[0]
    for secret in forbidden():
        assert secret not in caplog.text
        assert secret not in str(caught.value)
        assert secret not in repr(caught.value.exchange)
