"""Speed targets for what a customer waits on, measured with pytest-benchmark (`make bench`).

Each benchmark runs the real path through Django's test client, with the vendor played by the
in-process sandbox, so the figures are the app's own cost without network latency. The targets are
generous upper bounds on the median for a 2-core machine; a miss means something got slow.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sandbox import pricing
from subscriptions.models import Quote
from tests.changes.conftest import MONTHLY
from tests.changes.flows import preview

TARGET_SECONDS = {
    "pricing": 0.0005,
    "subscription_page": 0.05,
    "preview": 0.1,
}


def _within_target(benchmark, name: str) -> None:
    median = benchmark.stats.stats.median
    assert median < TARGET_SECONDS[name], f"{name}: median {median * 1000:.2f} ms over {TARGET_SECONDS[name] * 1000} ms"


def test_pro_rated_charge_arithmetic(benchmark):
    tiers = [
        pricing.Tier(first_seat=1, unit_gross=Decimal("1200.00")),
        pricing.Tier(first_seat=2, unit_gross=Decimal("600.00")),
    ]

    def charge() -> Decimal:
        fraction = pricing.remaining_fraction(
            now=datetime(2026, 6, 18, 10, 28, 42, 344357, tzinfo=UTC),
            period_start=datetime(2026, 5, 13, 10, 28, 42, 344357, tzinfo=UTC),
            period_end=datetime(2027, 5, 13, 10, 28, 42, 344357, tzinfo=UTC),
        )
        before, after = pricing.recurring_gross(tiers, 1), pricing.recurring_gross(tiers, 2)
        return pricing.coterm_charge(before=before, after=after, fraction=fraction, currency="USD")

    assert benchmark(charge) == Decimal("540.82")
    _within_target(benchmark, "pricing")


@pytest.mark.django_db
def test_subscription_page(benchmark, browser):
    response = benchmark(browser.get, f"/subscriptions/{MONTHLY}/")
    assert response.status_code == 200
    _within_target(benchmark, "subscription_page")


@pytest.mark.django_db
def test_seat_preview_with_stored_quote(benchmark, browser):
    def ask() -> Quote:
        response, quote = preview(browser, MONTHLY, kind="increase", running_no=1, quantity=15)
        assert quote is not None, response.content[:500]
        return quote

    quote = benchmark(ask)
    assert quote.charge_now_gross == Decimal("1159.89")
    _within_target(benchmark, "preview")
