"""Two requests racing to commit one quote: exactly one commit reaches the vendor (PostgreSQL only)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from subscriptions.models import Consent, LedgerEntry, QuoteState
from tests.cast import CLOUDIFY_M, MONTHLY, sign_in
from tests.changes.flows import preview

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL for row locks under concurrent requests (database is {connection.vendor})")


@pytest.mark.parametrize("htmx", [False, True])
def test_two_simultaneous_commits_charge_once(anna_client, vendor, anna, htmx):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    url = reverse("subscriptions:quote_commit", args=[quote.public_id])
    start = threading.Barrier(2)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            tab = sign_in(Client(), anna)
            start.wait(timeout=10)
            headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
            statuses.append(tab.post(url, {"consent": "yes"}, **headers).status_code)
        except BaseException as exc:  # surfaced below; a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert len(statuses) == 2
    quote.refresh_from_db()
    assert quote.state == QuoteState.COMMITTED
    assert len(vendor.purchases(MONTHLY)) == 1, vendor.purchases(MONTHLY)
    assert Consent.objects.filter(quote=quote).count() == 1
    assert LedgerEntry.objects.filter(quote=quote, action="change.commit_sent").count() == 1
    assert len(vendor.purchases(MONTHLY)) == 1
    assert vendor.current_items(MONTHLY)[CLOUDIFY_M]["Quantity"] == 25
    if htmx:
        assert statuses == [200, 200]
    else:
        assert sorted(statuses) == [302, 409]
