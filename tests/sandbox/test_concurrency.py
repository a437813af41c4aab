"""Concurrent commits lock the subscription row, so their deltas add up (PostgreSQL only)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.test import Client

from sandbox.clock import clock_freeze
from sandbox.models import Purchase, SubscriptionItem
from tests.sandbox.api import SandboxAPI, change
from tests.sandbox.factories import ProductFactory, SubscriptionFactory

START = datetime(2026, 4, 23, 15, 57, 14, 106747, tzinfo=UTC)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_increases_all_count():
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL: row locks (select_for_update) are no-ops on {connection.vendor}")
    subscription = SubscriptionFactory(start=START, items=[(ProductFactory(), 10)])
    clock_freeze(at=START + timedelta(days=10))
    callers = 4
    ready = threading.Barrier(callers)
    statuses: list[int] = []

    def increase_by_five() -> None:
        try:
            api = SandboxAPI(Client())
            ready.wait(timeout=10)
            statuses.append(api.post("increasesubscriptionitemquantity", change(subscription.pk, 5)).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=increase_by_five) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200] * callers
    versions = list(SubscriptionItem.objects.filter(subscription=subscription).values_list("version", "quantity"))
    assert sorted(versions) == [(1, 10), (2, 15), (3, 20), (4, 25), (5, 30)]
    assert SubscriptionItem.objects.get(subscription=subscription, is_current=True).quantity == 30
    assert Purchase.objects.filter(subscription=subscription, category="Alignment").count() == callers
