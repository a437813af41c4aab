"""A clock that moves only when a test, or a wait under test, moves it: no test sleeps on the wall clock."""

import threading

START = 1_800_000_000.0


class FakeClock:
    """Seconds (epoch-like, so they also serve as a monotonic clock) that move only when advanced."""

    def __init__(self, start: float = START):
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    sleep = advance
