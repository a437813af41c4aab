"""Portal sessions throttled per IP (before the key is checked) and per key: 429, Retry-After, no vendor call."""

from __future__ import annotations

import json

import pytest

from subscriptions.models import PortalKey, SignInLink
from tests.cast import ANNA

pytestmark = pytest.mark.django_db


@pytest.fixture
def key() -> str:
    _key, raw = PortalKey.issue("Cloudify")
    return raw


def ask(client, raw_key, ip="203.0.113.5"):
    body = {"customer_id": ANNA.vendor_id, "return_url": "https://example.com/account"}
    return client.post(
        "/api/portal-sessions",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
        REMOTE_ADDR=ip,
    )


def test_a_key_over_its_limit_gets_429_from_any_ip(client, vendor, key, vendor_calls, now, settings):
    settings.PORTAL_SESSIONS_PER_KEY = 2
    assert [ask(client, key, ip=f"203.0.113.{n}").status_code for n in (1, 2)] == [201, 201]
    calls_before = len(vendor_calls)

    refused = ask(client, key, ip="203.0.113.3")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "too many" in refused.json()["error"]
    assert len(vendor_calls) == calls_before
    assert SignInLink.objects.count() == 2
    _other, other_key = PortalKey.issue("Cloudify Backup")
    assert ask(client, other_key).status_code == 201


def test_an_ip_over_its_limit_is_refused_before_its_key_is_looked_at(client, vendor, key, vendor_calls, now, settings):
    settings.PORTAL_SESSIONS_PER_IP = 3
    guesses = [ask(client, f"pk_guess{n}").status_code for n in range(3)]

    refused = ask(client, key)

    assert guesses == [401, 401, 401]
    assert refused.status_code == 429
    assert vendor_calls == []
    now[0] += 60
    assert ask(client, key).status_code == 201
