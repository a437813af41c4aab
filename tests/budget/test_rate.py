"""Never more calls in any one second than the budget allows, however many callers ask."""

import multiprocessing

import pytest

from subscriptions.cleverbridge.budget import VENDOR_LIMIT_PER_SECOND
from tests.budget.clock import START
from tests.budget.conftest import REDIS_URL
from tests.budget.simulation import busiest_second, process_rounds, run_rounds

RATE = 25.0
BURST = 4.0


def test_a_simulated_minute_of_many_threads_never_exceeds_rate_plus_burst_in_any_second(make_budget, clock):
    budget = make_budget(rate_per_second=RATE, burst=BURST, max_concurrent=4)

    grants, refusals = run_rounds(budget=budget, clock=clock, callers=6, seconds=60, step=0.02)

    assert busiest_second(grants) <= RATE + BURST <= VENDOR_LIMIT_PER_SECOND
    assert len(grants) <= RATE * 60 + BURST
    # The budget is used, not just refused: 300 calls a second were offered.
    assert len(grants) >= RATE * 60 * 0.95
    assert refusals > len(grants)


def test_the_bucket_refills_at_the_rate_and_no_faster(make_budget, clock):
    budget = make_budget(rate_per_second=RATE, burst=BURST)

    grants, _ = run_rounds(budget=budget, clock=clock, callers=2, seconds=10, step=0.004)

    # The burst at once, then one token per 1/25 s over the 9.996 s that follow the first round.
    assert len(grants) == BURST + int(RATE * 9.996)


@pytest.mark.redis
def test_several_os_processes_share_one_rate_and_one_concurrency_limit(redis_prefix):
    processes_count, seconds, step = 4, 60.0, 0.05
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes_count)
    results = context.Queue()
    processes = [
        context.Process(
            target=process_rounds,
            args=(barrier, results),
            kwargs={
                "redis_url": REDIS_URL,
                "key_prefix": redis_prefix,
                "start": START,
                "seconds": seconds,
                "step": step,
                "hold": True,
            },
        )
        for _ in range(processes_count)
    ]
    for process in processes:
        process.start()
    per_process = [results.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    grants = [at for times in per_process for at in times]
    assert busiest_second(grants) <= RATE + BURST
    assert len(grants) >= RATE * seconds * 0.9
    assert all(times for times in per_process), "every process got a share"
    # The first round finds the full burst (4 tokens) for 4 processes, but only max_concurrent = 3 slots.
    per_round: dict[float, int] = {}
    for at in grants:
        per_round[at] = per_round.get(at, 0) + 1
    assert per_round[START] == max(per_round.values()) == 3
