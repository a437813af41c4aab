"""A delivery is stored, de-duplicated and queued in one transaction with one commit, and is never lost.

These tests run in real transactions (`transaction=True`), so a statement outside the receiving transaction,
or a second commit, is seen; the failures are planted in the database's own paths (a task row that cannot be
written, a row that cannot be stored in full), never by sleeping.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from pathlib import Path

import pytest
from django.db import DataError, connection, connections
from django_tasks import default_task_backend
from django_tasks_db.models import DBTaskResult

import subscriptions.notifications as notifications
from subscriptions import states
from subscriptions.models import InboundNotification, NotificationStatus
from tests.notifications.conftest import ENDPOINT, SECRET
from tests.notifications.payloads import body, paid_order

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DOC = Path(__file__).resolve().parents[2] / "docs" / "changes.md"


def post(client, data):
    return client.generic("POST", ENDPOINT, data, content_type="application/json")


class Transactions:
    """Every commit, and every statement with whether it ran inside a transaction."""

    def __init__(self, monkeypatch):
        self.commits = 0
        self.statements: list[tuple[str, bool]] = []
        real_commit = connection.commit

        def commit():
            self.commits += 1
            real_commit()

        monkeypatch.setattr(connection, "commit", commit)

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    def outside(self) -> list[str]:
        return [sql for sql, inside in self.statements if not inside and not sql.startswith("BEGIN")]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (body(paid_order()), NotificationStatus.PENDING),
        ("{not json", NotificationStatus.MALFORMED),
        (body({"meta": {"type": "RecurringBillingOnGraceNotification"}}), NotificationStatus.IGNORED),
    ],
)
def test_a_delivery_is_stored_with_one_commit_and_nothing_outside_it(client, queue, monkeypatch, payload, status):
    watch = Transactions(monkeypatch)

    with connection.execute_wrapper(watch):
        post(client, payload)

    assert InboundNotification.objects.get().status == status
    assert watch.commits == 1
    assert watch.outside() == []


def test_a_replay_is_stored_as_a_duplicate_in_the_same_single_commit(client, queue, monkeypatch):
    post(client, body(paid_order()))
    watch = Transactions(monkeypatch)

    with connection.execute_wrapper(watch):
        response = post(client, body(paid_order()))

    assert response.status_code == 200
    assert watch.commits == 1 and watch.outside() == []
    replay = InboundNotification.objects.get(status=NotificationStatus.DUPLICATE)
    assert replay.duplicate_of.replay_count == 1


def test_the_row_is_written_once_already_in_its_receiving_status(client, queue, monkeypatch):
    watch = Transactions(monkeypatch)

    with connection.execute_wrapper(watch):
        post(client, body(paid_order()))

    table = "subscriptions_inboundnotification"
    writes = [sql for sql, _ in watch.statements if re.match(rf"(INSERT|UPDATE)\b.*{table}", sql)]
    assert len(writes) == 1 and writes[0].startswith("INSERT")


def test_the_task_is_written_in_the_same_transaction(client, settings, monkeypatch):
    settings.TASKS = DATABASE_QUEUE
    watch = Transactions(monkeypatch)

    with connection.execute_wrapper(watch):
        post(client, body(paid_order()))

    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("process_notification")
    assert task.args_kwargs["args"] == [InboundNotification.objects.get().pk]
    assert watch.commits == 1 and watch.outside() == []


def test_a_task_that_cannot_be_written_loses_nothing_and_the_sweep_finds_the_delivery(client, settings, monkeypatch):
    settings.TASKS = DATABASE_QUEUE
    taken = uuid.uuid4()
    DBTaskResult.objects.create(id=taken, args_kwargs={"args": [], "kwargs": {}}, task_path="x.y")

    monkeypatch.setattr(default_task_backend, "id_function", lambda: taken)  # the task row fails on its primary key

    response = post(client, body(paid_order()))

    assert response.status_code == 200
    stored = InboundNotification.objects.get()
    assert stored.status == NotificationStatus.PENDING
    assert DBTaskResult.objects.count() == 1
    assert notifications.notifications_due() == [stored.pk]


@pytest.mark.postgres
def test_the_worker_sees_the_task_only_once_the_delivery_is_committed(client, settings, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip(f"needs a second connection that sees only committed rows (database is {connection.vendor})")
    settings.TASKS = DATABASE_QUEUE
    seen_by_worker = []
    real_enqueue = notifications.notification_enqueue

    def enqueue_and_look(notification_id, **kwargs):
        real_enqueue(notification_id, **kwargs)
        assert connection.in_atomic_block

        def worker():
            try:
                seen_by_worker.append(
                    (DBTaskResult.objects.count(), InboundNotification.objects.filter(pk=notification_id).count())
                )
            finally:
                connections.close_all()

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()

    monkeypatch.setattr(notifications, "notification_enqueue", enqueue_and_look)

    post(client, body(paid_order()))

    assert seen_by_worker == [(0, 0)]
    assert DBTaskResult.objects.count() == 1 and InboundNotification.objects.count() == 1


def _refuse_writes(monkeypatch, *, fail_also_raw: bool) -> list[str]:
    tried = []
    real_create = states.notification_create

    def create(*, status, **kwargs):
        tried.append(status)
        if status != NotificationStatus.RECEIVED or fail_also_raw:
            raise DataError("value too long for type character varying(20)")
        return real_create(status=status, **kwargs)

    monkeypatch.setattr(states, "notification_create", create)
    return tried


def test_a_row_that_cannot_be_stored_in_full_is_kept_raw(client, queue, monkeypatch, caplog):
    tried = _refuse_writes(monkeypatch, fail_also_raw=False)

    with caplog.at_level(logging.ERROR, logger="subscriptions"):
        response = post(client, body(paid_order()))

    assert response.status_code == 200
    stored = InboundNotification.objects.get()
    assert tried == [NotificationStatus.PENDING, NotificationStatus.RECEIVED]
    assert stored.status == NotificationStatus.RECEIVED
    assert json.loads(stored.body) == paid_order() and stored.body_bytes == len(body(paid_order()))
    assert "could not be stored in full" in stored.note
    assert queue.results == []
    assert "kept raw" in caplog.text and SECRET not in caplog.text


def test_a_delivery_that_cannot_be_stored_at_all_is_answered_500_so_the_vendor_retries(
    client, queue, monkeypatch, caplog
):
    _refuse_writes(monkeypatch, fail_also_raw=True)
    client.raise_request_exception = False

    with caplog.at_level(logging.DEBUG):
        response = post(client, body(paid_order()))

    assert response.status_code == 500
    assert not InboundNotification.objects.exists()
    assert queue.results == []
    assert "could not be stored" in caplog.text
    assert SECRET not in caplog.text


def test_only_initial_statuses_may_be_created():
    with pytest.raises(states.IllegalMove):
        states.notification_create(status=NotificationStatus.PROCESSED, fields={})
    assert not InboundNotification.objects.exists()


def test_the_documented_initial_statuses_are_exactly_the_code_s():
    lines = DOC.read_text().splitlines()
    start = lines.index("### Notification initial statuses")
    documented = set()
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        match = re.match(r"^\|\s*`(?P<status>[a-z_]+)`\s*\|", line)
        if match:
            documented.add(match["status"])
    assert documented == {str(status) for status in states.NOTIFICATION_INITIAL}
    assert documented <= set(NotificationStatus.values)
