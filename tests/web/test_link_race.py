"""Two clicks on one link at the same moment: exactly one signs in (PostgreSQL only)."""

import threading

import pytest
from django.db import connection, connections

from subscriptions.models import SignInLink


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_uses_of_one_link_sign_in_once():
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL: row locks (select_for_update) are no-ops on {connection.vendor}")
    _link, raw = SignInLink.issue(kind=SignInLink.Kind.EMAIL, vendor_customer_id=159215775, minutes=15)
    callers = 6
    ready = threading.Barrier(callers)
    outcomes: list[str] = []

    def use() -> None:
        try:
            ready.wait(timeout=10)
            outcomes.append(SignInLink.consume(raw, kind=SignInLink.Kind.EMAIL)[1])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=use) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["ok"] + ["used"] * (callers - 1)
