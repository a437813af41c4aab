"""The idle timeout without a session write on every request (selfservice.middleware.SessionRefreshMiddleware)."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from selfservice import middleware
from tests.cast import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    moment = [1_800_000_000.0]
    monkeypatch.setattr(middleware, "now", lambda: moment[0])
    return moment


def _session_writes(queries) -> list[str]:
    return [
        q["sql"] for q in queries if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


def _expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_request_soon_after_the_last_renewal_writes_no_session(client, anna, clock):
    sign_in(client, anna)
    client.get("/")  # the first request after sign-in renews the expiry
    expiry = _expiry(client)
    clock[0] += 30
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert _session_writes(queries) == []
    assert _expiry(client) == expiry


def test_the_expiry_is_renewed_once_the_refresh_interval_has_passed(client, anna, clock, settings):
    sign_in(client, anna)
    client.get("/")
    expiry = _expiry(client)
    clock[0] += settings.SESSION_REFRESH_SECONDS
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    assert len(_session_writes(queries)) == 1
    assert _expiry(client) > expiry
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_anonymous_requests_create_no_session(client, clock):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/sign-in/").status_code == 200
    assert _session_writes(queries) == []
    assert not Session.objects.exists()
