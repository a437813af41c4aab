"""With the shared cache (Redis) away, pages and changes work on: misses and dropped writes, never a 500."""

import socket

import pytest
from django.core.cache import caches

from selfservice import cache as resilient
from subscriptions.models import Quote, QuoteState
from tests.cast import MONTHLY
from tests.changes.flows import commit, preview


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_away(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "selfservice.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_dead_port()}/0",
        }
    }
    yield caches["default"]


def test_the_cache_answers_as_empty_and_drops_writes(redis_away):
    redis_away.set("a", 1)
    assert redis_away.get("a") is None
    assert redis_away.get_many(["a", "b"]) == {}
    assert redis_away.add("lock", "me") is True  # the caller goes on and does the work itself
    assert redis_away.incr("counter") == 1  # throttles let requests through rather than refuse everyone
    assert redis_away.delete("a") is False


def test_after_a_failure_redis_is_left_alone_for_a_while(redis_away, monkeypatch):
    moment = [1000.0]
    monkeypatch.setattr(resilient, "clock", lambda: moment[0])
    tries = []
    original = resilient.RedisCache.get

    def counted(self, *args, **kwargs):
        tries.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(resilient.RedisCache, "get", counted)
    for _ in range(5):
        redis_away.get("a")
    assert len(tries) == 1
    moment[0] += resilient.RETRY_SECONDS
    redis_away.get("a")
    assert len(tries) == 2


@pytest.mark.django_db
def test_pages_and_a_change_work_without_the_cache(redis_away, anna_client, vendor, catalog):
    assert anna_client.get("/").status_code == 200
    assert anna_client.get(f"/subscriptions/{MONTHLY}/").status_code == 200
    _response, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    commit(anna_client, quote)
    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    assert Quote.objects.count() == 1
    assert len(vendor.purchases(MONTHLY)) == 1
