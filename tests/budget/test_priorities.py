"""A customer's commit is never refused because page views used the budget."""

import pytest

from subscriptions.cleverbridge.budget import MAX_WAIT_SECONDS, BudgetExhausted, Kind


def _take_until_refused(budget, kind: str) -> int:
    granted = 0
    while True:
        try:
            budget.release(budget.acquire(kind=kind, max_wait=0))
        except BudgetExhausted:
            return granted
        granted += 1


def test_reads_leave_a_reserve_of_tokens_that_previews_and_commits_can_take(make_budget, clock):
    budget = make_budget(burst=4.0, max_concurrent=4)

    assert _take_until_refused(budget, "read") == 2
    assert _take_until_refused(budget, "preview") == 1
    assert _take_until_refused(budget, "commit") == 1
    with pytest.raises(BudgetExhausted):
        budget.acquire(kind="commit", max_wait=0)


def test_commits_are_granted_all_along_while_a_flood_of_reads_is_refused(make_budget, clock):
    budget = make_budget(rate_per_second=25.0, burst=4.0)
    reads = refused_reads = 0
    commits = 0
    for tick in range(1000):  # ten simulated seconds, 100 reads a second, 5 commits a second
        clock.advance(0.01)
        try:
            with budget.permit(kind="read", max_wait=0):
                reads += 1
        except BudgetExhausted:
            refused_reads += 1
        if tick % 20 == 0:
            with budget.permit(kind="commit", max_wait=0):
                commits += 1

    assert commits == 50
    assert refused_reads > reads > 0


def test_reads_and_previews_leave_one_slot_free_for_commits(make_budget, clock):
    budget = make_budget(max_concurrent=4, rate_per_second=25.0, burst=4.0)
    held = []
    for kind in ("commit", "commit", "preview"):
        held.append(budget.acquire(kind=kind, max_wait=0))
    clock.advance(1.0)  # the bucket is full again: only the slots count here

    with pytest.raises(BudgetExhausted):
        budget.acquire(kind="read", max_wait=0)
    with pytest.raises(BudgetExhausted):
        budget.acquire(kind="preview", max_wait=0)
    held.append(budget.acquire(kind="commit", max_wait=0))
    assert budget.state().in_flight == 4


def test_sign_in_lookups_get_only_their_small_share(make_budget, clock):
    budget = make_budget(rate_per_second=25.0, burst=4.0)
    granted = 0
    for _ in range(1000):  # ten simulated seconds, 100 lookups a second
        clock.advance(0.01)
        try:
            with budget.permit(kind="anonymous", max_wait=0):
                granted += 1
        except BudgetExhausted:
            pass

    assert granted <= 25.0 * 0.2 * 10 + 1
    assert granted >= 25.0 * 0.2 * 10 * 0.9
    with budget.permit(kind="commit", max_wait=0), budget.permit(kind="read", max_wait=0):
        assert budget.state().in_flight == 2


def test_sign_in_lookups_hold_at_most_one_slot(make_budget):
    budget = make_budget()
    budget.acquire(kind="anonymous", max_wait=0)

    with pytest.raises(BudgetExhausted):
        budget.acquire(kind="anonymous", max_wait=0)


def test_a_caller_short_of_a_token_waits_for_the_refill_and_is_served(make_budget, clock):
    budget = make_budget(rate_per_second=25.0, burst=4.0)
    _take_until_refused(budget, "commit")
    started = clock()

    budget.acquire(kind="read", max_wait=1.0)

    assert clock() - started == pytest.approx(3 / 25.0, abs=0.002)  # three tokens back: the read's reserve and its own


@pytest.mark.parametrize(("kind", "waited"), [("read", 1.0), ("preview", 3.0), ("commit", 10.0)])
def test_a_caller_gives_up_after_its_class_wait_and_learns_how_long_it_would_have_taken(
    make_budget, clock, kind, waited
):
    budget = make_budget(max_concurrent=4)
    for _ in range(4):
        budget.acquire(kind="commit", max_wait=0, lease_seconds=25.0)
    started = clock()

    with pytest.raises(BudgetExhausted) as refused:
        budget.acquire(kind=kind)

    assert MAX_WAIT_SECONDS[Kind(kind)] == waited
    assert clock() - started == pytest.approx(waited, abs=0.06)
    assert refused.value.wait_seconds == pytest.approx(25.0 - waited, abs=0.06)
    assert refused.value.kind == kind


def test_a_caller_whose_token_would_come_too_late_is_refused_at_once(make_budget, clock):
    budget = make_budget(rate_per_second=1.0, burst=4.0)
    _take_until_refused(budget, "commit")
    started = clock()

    with pytest.raises(BudgetExhausted) as refused:
        budget.acquire(kind="read")

    assert clock() == started
    assert refused.value.wait_seconds == pytest.approx(3.0, abs=0.01)
