"""Replays of one purchase are all kept and counted, but the body only for the first few: storage stays bounded."""

from __future__ import annotations

import hashlib

import pytest

from subscriptions.models import InboundNotification, NotificationStatus
from tests.notifications.conftest import ENDPOINT
from tests.notifications.payloads import body, paid_order

pytestmark = pytest.mark.django_db


def post(client, data, **headers):
    return client.generic("POST", ENDPOINT, data, content_type="application/json", **headers)


def test_replays_past_the_bound_keep_headers_time_link_hash_and_size_but_not_the_body(client, queue):
    raw = body(paid_order())
    post(client, raw)
    for number in range(1, 6):
        assert post(client, raw, HTTP_X_DELIVERY=str(number)).status_code == 200

    original = InboundNotification.objects.get(duplicate_of=None)
    replays = list(InboundNotification.objects.filter(duplicate_of=original).order_by("id"))
    digest = hashlib.sha256(raw.encode()).hexdigest()
    assert original.replay_count == 5 and original.last_replay_at == replays[-1].received_at
    assert original.body == raw and original.body_sha256 == digest
    assert [replay.body == raw for replay in replays] == [True, True, True, False, False]
    for number, replay in enumerate(replays, start=1):
        assert replay.status == NotificationStatus.DUPLICATE
        assert replay.headers["X-Delivery"] == str(number)
        assert (replay.body_sha256, replay.body_bytes) == (digest, len(raw))
        assert replay.purchase_id == original.purchase_id
    assert replays[3].body == "" and "body not kept" in replays[3].note
    assert queue.names() == ["process_notification"]


def test_the_bound_is_a_setting(client, queue, settings):
    settings.NOTIFICATION_REPLAYS_KEPT_IN_FULL = 0
    post(client, body(paid_order()))

    post(client, body(paid_order()))

    replay = InboundNotification.objects.get(status=NotificationStatus.DUPLICATE)
    assert replay.body == "" and replay.body_bytes > 0


def test_a_replay_with_another_body_keeps_its_own_hash(client, queue, settings):
    settings.NOTIFICATION_REPLAYS_KEPT_IN_FULL = 0
    post(client, body(paid_order()))
    changed = body(paid_order(gross="1.00"))

    post(client, changed)

    replay = InboundNotification.objects.get(status=NotificationStatus.DUPLICATE)
    assert replay.body_sha256 == hashlib.sha256(changed.encode()).hexdigest()
    assert replay.body_sha256 != InboundNotification.objects.get(duplicate_of=None).body_sha256
