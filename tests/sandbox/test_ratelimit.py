"""The vendor's rate limit, with the limiter's time under the test's control (no sleeping)."""

import pytest

from sandbox import ratelimit
from tests.sandbox.api import API, basic, body_of


@pytest.fixture
def limited(settings, monkeypatch):
    settings.SANDBOX_RATE_LIMIT_PER_SECOND = 3
    settings.SANDBOX_RATE_LIMIT_BLOCK_SECONDS = 60
    now = [1_000_000.25]
    monkeypatch.setattr(ratelimit, "current_time", lambda: now[0])
    return now


def call(client, ip="203.0.113.7"):
    return client.get(API + "getsubscription", {"subscriptionId": "S1"}, HTTP_AUTHORIZATION=basic(), REMOTE_ADDR=ip)


def test_past_the_limit_the_caller_gets_429_and_is_blocked(client, db, limited):
    statuses = [call(client).status_code for _ in range(4)]

    assert statuses == [404, 404, 404, 429]
    blocked = call(client)
    assert blocked.status_code == 429
    assert body_of(blocked)["ResultMessage"] == "Too many requests."


def test_429_says_when_to_retry(client, db, limited):
    for _ in range(3):
        call(client)

    response = call(client)

    assert response.status_code == 429
    assert response["Retry-After"] == "60"


def test_the_block_lasts_the_configured_time(client, db, limited):
    for _ in range(4):
        call(client)

    limited[0] += 59
    assert call(client).status_code == 429
    limited[0] += 1.5
    assert call(client).status_code == 404


def test_the_budget_renews_each_second(client, db, limited):
    for _ in range(3):
        assert call(client).status_code == 404
    limited[0] += 1

    assert call(client).status_code == 404


def test_callers_are_counted_apart(client, db, limited):
    for _ in range(4):
        call(client, ip="203.0.113.7")

    assert call(client, ip="203.0.113.8").status_code == 404


def test_ipv6_callers_share_their_64_network(client, db, limited):
    for host in range(1, 4):
        assert call(client, ip=f"2001:db8:1:2::{host}").status_code == 404

    assert call(client, ip="2001:db8:1:2:ffff::9").status_code == 429
    assert call(client, ip="2001:db8:1:3::1").status_code == 404


def test_unauthenticated_calls_count_too(client, db, limited):
    for _ in range(3):
        client.get(API + "getsubscription", REMOTE_ADDR="203.0.113.7")

    assert call(client).status_code == 429


def test_zero_disables_the_limit(client, db, limited, settings):
    settings.SANDBOX_RATE_LIMIT_PER_SECOND = 0

    assert {call(client).status_code for _ in range(10)} == {404}


def test_control_endpoints_are_not_limited(client, db, limited):
    for _ in range(4):
        call(client)

    assert (
        client.get("/sandbox/control/clock", HTTP_AUTHORIZATION=basic(), REMOTE_ADDR="203.0.113.7").status_code == 200
    )
