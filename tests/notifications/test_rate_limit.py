"""The endpoint's rate limit per client address, in the shared cache: past it 429 with Retry-After, nothing stored.

The limit counts only deliveries with the right secret and credentials. The clock is passed in (the view's
call is given a fixed `now`), so a test never straddles a minute by chance and never sleeps.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from django.core.cache import cache

import subscriptions.notifications as notifications
from subscriptions.models import InboundNotification
from tests.notifications.conftest import ENDPOINT, SECRET
from tests.notifications.payloads import body, paid_order

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 24, 16, 1, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _three_a_minute_at_a_fixed_moment(settings, monkeypatch):
    settings.NOTIFICATION_RATE_PER_MINUTE = 3
    monkeypatch.setattr(
        notifications, "notification_rate_check", partial(notifications.notification_rate_check, now=NOW)
    )


def post(client, purchase_id, *, path=ENDPOINT, **extra):
    return client.generic(
        "POST", path, body(paid_order(purchase_id=purchase_id)), content_type="application/json", **extra
    )


def test_past_the_limit_the_answer_is_429_with_retry_after_and_nothing_is_stored(client, queue):
    answers = [post(client, purchase).status_code for purchase in range(1, 5)]

    refused = post(client, 99)
    assert answers == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"  # 16:01:10 → the next minute
    assert set(InboundNotification.objects.values_list("purchase_id", flat=True)) == {1, 2, 3}
    assert len(queue.results) == 3


def test_each_client_address_has_its_own_allowance(client, queue):
    for purchase in range(1, 4):
        post(client, purchase)

    assert post(client, 4).status_code == 429
    assert post(client, 5, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_wrong_secrets_and_credentials_stay_404_and_401_and_use_up_nothing(client, settings, queue):
    wrong = ENDPOINT.replace(SECRET, "x" * len(SECRET))
    assert {post(client, 10 + n, path=wrong).status_code for n in range(5)} == {404}
    settings.CLEVERBRIDGE_NOTIFICATION_USER, settings.CLEVERBRIDGE_NOTIFICATION_PASSWORD = "vendor", "pass"
    assert {post(client, 20 + n).status_code for n in range(5)} == {401}

    right = "Basic " + base64.b64encode(b"vendor:pass").decode()
    assert [post(client, 30 + n, HTTP_AUTHORIZATION=right).status_code for n in range(4)] == [200, 200, 200, 429]


def test_the_allowance_comes_back_with_the_next_minute():
    for _ in range(3):
        assert notifications.notification_rate_check(remote_addr="198.51.100.7", now=NOW) == 0
    assert notifications.notification_rate_check(remote_addr="198.51.100.7", now=NOW) == 50
    last_second = NOW.replace(second=59, microsecond=999999)
    assert notifications.notification_rate_check(remote_addr="198.51.100.7", now=last_second) == 1

    next_minute = NOW.replace(second=0) + timedelta(minutes=1)
    assert notifications.notification_rate_check(remote_addr="198.51.100.7", now=next_minute) == 0


def test_a_cache_that_fails_lets_deliveries_in(client, queue, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("the cache is away")

    monkeypatch.setattr(cache, "add", broken)
    monkeypatch.setattr(cache, "incr", broken)

    assert [post(client, purchase).status_code for purchase in range(1, 6)] == [200] * 5
