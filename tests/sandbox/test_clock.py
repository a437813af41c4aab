"""The test clock: frozen, advanced or real, shared through the database, by endpoint and by command."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from sandbox import clock
from tests.sandbox.api import CONTROL, body_of


@pytest.fixture
def real_time(monkeypatch):
    """Real time, pinned so that the test can compare it."""
    moment = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "real_now", lambda: moment)
    return moment


def state(api) -> dict:
    return body_of(api.control("get", "clock"))


def test_real_time_by_default(api, real_time):
    assert state(api) == {"now": "2030-01-01T12:00:00Z", "frozen": False, "ResultMessage": "OK"}


def test_freeze_advance_and_release(api, real_time):
    frozen = body_of(api.control("post", "clock", {"now": "2026-04-24T16:01:10Z"}))
    assert (frozen["now"], frozen["frozen"]) == ("2026-04-24T16:01:10Z", True)

    advanced = body_of(api.control("post", "clock", {"advance_seconds": 90.5}))
    assert (advanced["now"], advanced["frozen"]) == ("2026-04-24T16:02:40.500000Z", True)

    released = body_of(api.control("post", "clock", {"now": None}))
    assert (released["now"], released["frozen"]) == ("2030-01-01T12:00:00Z", False)


def test_advancing_real_time_keeps_it_running_with_an_offset(api, real_time):
    body = body_of(api.control("post", "clock", {"advance_seconds": 86400}))

    assert (body["now"], body["frozen"]) == ("2030-01-02T12:00:00Z", False)
    assert clock.clock_now() == real_time + timedelta(days=1)


def test_timestamps_without_offset_are_utc_and_offsets_are_converted(api, real_time):
    assert body_of(api.control("post", "clock", {"now": "2026-04-24T16:01:10"}))["now"] == "2026-04-24T16:01:10Z"
    assert body_of(api.control("post", "clock", {"now": "2026-04-24T18:01:10+02:00"}))["now"] == "2026-04-24T16:01:10Z"


@pytest.mark.parametrize("payload", [{"now": "yesterday"}, {"now": 5}, {"advance_seconds": "5"}, {}])
def test_bad_clock_requests_are_400(api, real_time, payload):
    assert api.control("post", "clock", payload).status_code == 400
    assert state(api)["frozen"] is False


def test_control_endpoints_need_the_credentials(client, db):
    for path in ("clock", "scenario", "purchases", "emails", "faults"):
        response = client.get(CONTROL + path)
        assert response.status_code == 401
        assert "WWW-Authenticate" in response


def test_control_endpoints_refuse_other_http_methods(api, db):
    assert api.control("get", "scenario").status_code == 405
    assert api.control("put", "clock", {"now": None}).status_code == 405
    assert api.control("post", "purchases", {}).status_code == 405


def test_the_command_shows_sets_advances_and_releases(db, real_time):
    assert call_command("sandbox_clock") == "2030-01-01T12:00:00Z (running)"
    assert call_command("sandbox_clock", "--set", "2026-04-24T16:01:10Z") == "2026-04-24T16:01:10Z (frozen)"
    assert call_command("sandbox_clock", "--advance", "3600") == "2026-04-24T17:01:10Z (frozen)"
    assert clock.clock_now() == datetime(2026, 4, 24, 17, 1, 10, tzinfo=UTC)
    assert call_command("sandbox_clock", "--real") == "2030-01-01T12:00:00Z (running)"


def test_the_command_refuses_nonsense(db):
    with pytest.raises(CommandError):
        call_command("sandbox_clock", "--set", "soon")
    with pytest.raises(CommandError):
        call_command("sandbox_clock", "--advance", "a bit")
