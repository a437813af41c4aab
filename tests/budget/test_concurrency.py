"""At most MAX_CONCURRENT calls in flight across all processes; a crashed process's slot comes back by itself."""

import pytest

from subscriptions.cleverbridge.budget import BudgetExhausted


def test_a_released_permit_frees_its_slot(make_budget):
    budget = make_budget(max_concurrent=2)
    with (
        budget.permit(kind="commit", max_wait=0),
        budget.permit(kind="commit", max_wait=0),
        pytest.raises(BudgetExhausted),
    ):
        budget.acquire(kind="commit", max_wait=0)

    with budget.permit(kind="commit", max_wait=0):
        assert budget.state().in_flight == 1


def test_an_expired_lease_frees_its_slot(make_budget, clock):
    budget = make_budget(max_concurrent=4)
    for _ in range(4):
        budget.acquire(kind="commit", max_wait=0, lease_seconds=5.0)  # never released: the process died
    with pytest.raises(BudgetExhausted):
        budget.acquire(kind="commit", max_wait=0)

    clock.advance(5.0)

    budget.acquire(kind="commit", max_wait=0)
    assert budget.state().in_flight == 1


@pytest.mark.redis
def test_calls_in_flight_are_counted_across_processes(make_shared_budget, clock):
    first, second = make_shared_budget(max_concurrent=4), make_shared_budget(max_concurrent=4)
    for _ in range(3):
        first.acquire(kind="read", max_wait=0)
        clock.advance(1.0)  # tokens are plenty: only the slots count here

    with pytest.raises(BudgetExhausted):
        second.acquire(kind="read", max_wait=0)
    second.acquire(kind="commit", max_wait=0)
    with pytest.raises(BudgetExhausted):
        second.acquire(kind="commit", max_wait=0)
    assert first.state().in_flight == second.state().in_flight == 4
