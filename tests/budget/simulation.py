"""Many callers over simulated time, and the count of grants in every one-second window."""

import bisect
import threading

from subscriptions.cleverbridge.budget import BudgetExhausted, VendorBudget


def busiest_second(grant_times: list[float]) -> int:
    """The most grants in any window [t, t + 1 s) (the busiest window starts at a grant)."""
    times = sorted(grant_times)
    return max((bisect.bisect_left(times, start + 1.0) - index for index, start in enumerate(times)), default=0)


def run_rounds(
    *, budget: VendorBudget, clock, callers: int, seconds: float, step: float, kind: str = "commit"
) -> tuple[list[float], int]:
    """Every `step` of the fake clock, all callers ask at once (threads released together); returns grant times."""
    grants: list[float] = []
    refusals = 0
    lock = threading.Lock()
    rounds = round(seconds / step)
    barrier = threading.Barrier(callers, action=lambda: clock.advance(step))

    def caller() -> None:
        nonlocal refusals
        for _ in range(rounds):
            barrier.wait()
            try:
                with budget.permit(kind=kind, max_wait=0):
                    at = clock()
                    with lock:
                        grants.append(at)
            except BudgetExhausted:
                with lock:
                    refusals += 1

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return grants, refusals


def process_rounds(
    barrier, results, *, redis_url: str, key_prefix: str, start: float, seconds: float, step: float, hold: bool
) -> None:
    """One OS process's caller: its own budget and Redis connection, in lockstep with the others through `barrier`.

    With `hold`, a granted permit is held until every process has asked in this round, so grants per round count
    calls in flight at once.
    """
    # Imported here: this runs in a freshly spawned process that needs only the budget, not Django's test setup.
    from subscriptions.cleverbridge.budget import BudgetConfig, BudgetExhausted, VendorBudget

    now = start

    def clock() -> float:
        return now

    budget = VendorBudget(
        BudgetConfig(redis_url=redis_url, key_prefix=key_prefix, max_concurrent=3), clock=clock, sleep=_no_wait
    )
    grants: list[float] = []
    for round_number in range(round(seconds / step)):
        now = start + round_number * step
        barrier.wait()
        try:
            permit = budget.acquire(kind="commit", max_wait=0)
        except BudgetExhausted:
            permit = None
        else:
            grants.append(now)
        if hold:
            barrier.wait()
        if permit is not None:
            budget.release(permit)
        if hold:
            barrier.wait()
    results.put(grants)


def _no_wait(seconds: float) -> None:
    raise AssertionError("a caller with max_wait=0 never waits")
