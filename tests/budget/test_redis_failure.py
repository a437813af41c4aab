"""When Redis stops answering each process keeps to a conservative share, and goes back to Redis when it answers."""

import contextlib
import logging
import shutil
import socket
import subprocess

import pytest

from subscriptions.cleverbridge import budget as vendor_budget
from subscriptions.cleverbridge.budget import (
    REPROBE_SECONDS,
    BudgetConfig,
    BudgetExhausted,
    VendorBlocked,
    VendorBudget,
)
from tests.budget.conftest import REDIS_URL
from tests.budget.simulation import busiest_second

pytestmark = pytest.mark.redis


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own on a free port, to stop and start again."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for line in self._process.stdout:
            if "Ready to accept connections" in line:
                return
        raise RuntimeError("redis-server exited before it was ready")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait()
            self._process.stdout.close()
            self._process = None


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed; it is needed to stop and restart a Redis")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_calls(monkeypatch) -> list[str]:
    """Every permit asked of Redis, by lease id."""
    calls: list[str] = []
    acquire = vendor_budget.RedisStore.acquire

    def counted(self, **kwargs):
        calls.append(kwargs["lease_id"])
        return acquire(self, **kwargs)

    monkeypatch.setattr(vendor_budget.RedisStore, "acquire", counted)
    return calls


def _budget(url: str, clock) -> VendorBudget:
    config = BudgetConfig(redis_url=url, rate_per_second=25.0, burst=4.0, max_concurrent=4, process_count_hint=4)
    return VendorBudget(config, clock=clock, sleep=clock.sleep)


def test_without_redis_a_process_keeps_to_its_share_of_the_rate_and_one_call_at_a_time(clock, caplog):
    budget = _budget(f"redis://127.0.0.1:{_free_port()}/0", clock)
    grants = []
    with caplog.at_level(logging.WARNING, logger="subscriptions.cleverbridge"):
        for _ in range(3000):  # a simulated minute, 50 commits a second
            clock.advance(0.02)
            try:
                with budget.permit(kind="commit", max_wait=0):
                    grants.append(clock())
                    assert budget.backend == "local-fallback"
                    with pytest.raises(BudgetExhausted):
                        budget.acquire(kind="commit", max_wait=0)
            except BudgetExhausted:
                pass

    share = 25.0 / 4
    assert busiest_second(grants) <= share + 1
    # Asks fall on a 20 ms grid, so a token every 160 ms is taken every 180 ms: the share is used, not exceeded.
    assert share * 60 * 0.85 <= len(grants) <= share * 60 + 1
    switches = [record for record in caplog.records if "not answering" in record.getMessage()]
    assert len(switches) == 1, "the switch is logged once, not per call"


def test_without_redis_a_process_has_one_call_in_flight_at_most(clock):
    budget = _budget(f"redis://127.0.0.1:{_free_port()}/0", clock)

    with budget.permit(kind="commit", max_wait=0):
        clock.advance(1.0)  # tokens enough for several calls: only the slot is missing
        with pytest.raises(BudgetExhausted):
            budget.acquire(kind="commit", max_wait=0)
    assert budget.state().max_concurrent == 1


def test_without_redis_it_is_asked_again_only_every_few_seconds(clock, redis_calls):
    budget = _budget(f"redis://127.0.0.1:{_free_port()}/0", clock)
    for _ in range(100):  # ten simulated seconds
        clock.advance(0.1)
        with contextlib.suppress(BudgetExhausted):
            budget.release(budget.acquire(kind="read", max_wait=0))

    assert len(redis_calls) == pytest.approx(10 / REPROBE_SECONDS, abs=1)


def test_a_redis_client_fails_fast_and_never_retries():
    client = vendor_budget.redis_client_for(REDIS_URL)
    options = client.connection_pool.connection_kwargs

    assert options["socket_connect_timeout"] <= 0.1
    assert options["socket_timeout"] <= 0.25
    assert options["retry"].get_retries() == 0


def test_a_block_told_while_redis_is_down_is_still_honoured(clock):
    budget = _budget(f"redis://127.0.0.1:{_free_port()}/0", clock)

    until = budget.blocked(60)

    with pytest.raises(VendorBlocked) as refused:
        budget.acquire(kind="commit")
    assert refused.value.until == until


def test_redis_stopped_then_started_again(private_redis, clock, caplog):
    budget = _budget(private_redis.url, clock)
    with budget.permit(kind="read", max_wait=0) as permit:
        assert permit.backend == "redis"

    private_redis.stop()
    with caplog.at_level(logging.WARNING, logger="subscriptions.cleverbridge"):
        for _ in range(3):
            clock.advance(1.0)
            with budget.permit(kind="read", max_wait=0) as permit:
                assert permit.backend == "local-fallback"
        assert budget.state().backend == "local-fallback"

        private_redis.start()
        clock.advance(REPROBE_SECONDS)
        with budget.permit(kind="read", max_wait=0) as permit:
            assert permit.backend == "redis"
        assert budget.state().backend == "redis"

    messages = [record.getMessage() for record in caplog.records]
    assert sum("not answering" in message for message in messages) == 1
    assert sum("Redis answers again" in message for message in messages) == 1
