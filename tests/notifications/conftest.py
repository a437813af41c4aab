"""The notification loop's world: the shared cast at the sandbox (`tests.cast`), a task queue the test drives.

Tasks go to django-tasks' DummyBackend, and `queue.run()` works them in this process, in order, so a
test decides when the vendor's notification is delivered and when the worker processes it. The
sandbox delivers to the product's endpoint in-process; no test reaches the network or sleeps.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone
from django_tasks import default_task_backend

from tests.cast import *  # noqa: F403
from tests.changes.calls import vendor_calls  # noqa: F401
from tests.conftest import InProcessTransport

SECRET = "test-notification-secret-" + "Qm7Zx2Lp9Rt4Kw8V"
ENDPOINT = f"/cleverbridge/notifications/{SECRET}/"


class Queue:
    """The enqueued tasks, run on demand (those whose run_after has come, as a worker would)."""

    @property
    def results(self) -> list:
        return default_task_backend.results

    def names(self) -> list[str]:
        return [result.task.name for result in self.results]

    def run(self, *, now: datetime | None = None, only: str | None = None, limit: int = 100) -> list[str]:
        ran = []
        for _ in range(limit):
            moment = now or timezone.now()
            ready = next(
                (
                    result
                    for result in self.results
                    if (result.task.run_after is None or result.task.run_after <= moment)
                    and (only is None or result.task.name == only)
                ),
                None,
            )
            if ready is None:
                return ran
            self.results.remove(ready)
            ready.task.call(*ready.args, **ready.kwargs)
            ran.append(ready.task.name)
        raise AssertionError(f"the queue did not settle: {ran[-10:]}")

    def clear(self) -> None:
        self.results.clear()


@pytest.fixture(autouse=True)
def _notification_settings(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.CLEVERBRIDGE_NOTIFICATION_SECRET = SECRET
    settings.CLEVERBRIDGE_NOTIFICATION_USER = ""
    settings.CLEVERBRIDGE_NOTIFICATION_PASSWORD = ""
    settings.SANDBOX_NOTIFICATION_URL = f"http://testserver{ENDPOINT}"
    settings.CLEVERBRIDGE_MAX_TRIES = 1
    monkeypatch.setattr("sandbox.notifications.make_transport", InProcessTransport)


@pytest.fixture
def queue() -> Queue:
    queue = Queue()
    queue.clear()
    yield queue
    queue.clear()
