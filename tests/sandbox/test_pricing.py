"""The pure arithmetic: intervals, graduated tiers, rounding, pro-rating; properties with hypothesis."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox import pricing

FAST = settings(max_examples=60, deadline=None)


@pytest.mark.parametrize(
    ("text", "months", "days"),
    [("P1M", 1, 0), ("P1Y", 12, 0), ("P14D", 0, 14), ("P1Y6M", 18, 0), ("P2W", 0, 14), ("P3M10D", 3, 10)],
)
def test_parse_interval(text, months, days):
    assert pricing.parse_interval(text) == pricing.Interval(months=months, days=days)


@pytest.mark.parametrize("text", ["", "P", "P0M", "1M", "PT1H", "P1.5M", "monthly"])
def test_parse_interval_refuses_what_it_does_not_know(text):
    with pytest.raises(pricing.PricingError):
        pricing.parse_interval(text)


def test_monthly_from_january_31_clamps_but_keeps_the_anchor_day():
    anchor = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)
    monthly = pricing.parse_interval("P1M")

    boundaries = [pricing.interval_boundary(anchor, monthly, n).date().isoformat() for n in range(4)]

    assert boundaries == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]


def test_monthly_february_in_a_leap_year_has_29_days():
    anchor = datetime(2028, 1, 31, tzinfo=UTC)
    monthly = pricing.parse_interval("P1M")

    assert pricing.interval_boundary(anchor, monthly, 1) == datetime(2028, 2, 29, tzinfo=UTC)


def test_annual_from_february_29_renews_on_february_28_then_29_again():
    anchor = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    annual = pricing.parse_interval("P1Y")

    boundaries = [pricing.interval_boundary(anchor, annual, n).date().isoformat() for n in range(5)]

    assert boundaries == ["2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"]


def test_a_leap_year_interval_is_366_days_long_in_the_pro_rating():
    anchor = datetime(2028, 1, 1, tzinfo=UTC)
    end = pricing.interval_boundary(anchor, pricing.parse_interval("P1Y"), 1)

    fraction = pricing.remaining_fraction(now=end - timedelta(days=183), period_start=anchor, period_end=end)

    assert fraction == D(183) / D(366)


def test_graduated_tiers_price_each_seat_by_its_own_tier():
    tiers = [pricing.Tier(1, D("1200.00")), pricing.Tier(2, D("600.00")), pricing.Tier(10, D("500.00"))]

    assert pricing.recurring_gross(tiers, 1) == D("1200.00")
    assert pricing.recurring_gross(tiers, 2) == D("1800.00")
    assert pricing.recurring_gross(tiers, 9) == D("1200.00") + 8 * D("600.00")
    assert pricing.recurring_gross(tiers, 12) == D("1200.00") + 8 * D("600.00") + 3 * D("500.00")


def test_a_price_without_a_first_seat_tier_is_refused():
    with pytest.raises(pricing.PricingError):
        pricing.recurring_gross([pricing.Tier(2, D("600.00"))], 3)


@pytest.mark.parametrize(
    ("currency", "rounded"), [("USD", "10.13"), ("JPY", "10"), ("KWD", "10.126"), ("BHD", "10.126")]
)
def test_rounding_follows_the_currency_minor_unit(currency, rounded):
    assert pricing.round_money(D("10.1255"), currency) == D(rounded)


def test_rounding_is_half_up():
    assert pricing.round_money(D("0.125"), "USD") == D("0.13")
    assert pricing.round_money(D("2.5"), "JPY") == D("3")


def test_extend_charge_credits_the_unused_part_of_the_old_interval():
    charge = pricing.extend_charge(before=D("800.00"), after=D("2000.00"), fraction=D("0.25"), currency="USD")

    assert charge == D("1800.00")


currencies = st.sampled_from(["USD", "EUR", "JPY", "KWD", "BHD", "CHF", "GBP"])
vat_rates = st.decimals(min_value=0, max_value=D("0.30"), places=4)
grosses = st.decimals(min_value=0, max_value=D("1000000"), places=3)


@FAST
@given(gross=grosses, vat_rate=vat_rates, currency=currencies)
def test_net_plus_vat_is_gross_and_every_part_sits_on_the_minor_unit(gross, vat_rate, currency):
    amount = pricing.split_gross(gross, vat_rate, currency)

    assert amount.net + amount.vat == amount.gross
    for part in (amount.gross, amount.net, amount.vat):
        assert pricing.is_on_minor_unit(part, currency)
    assert amount.net <= amount.gross
    assert amount.vat >= 0


start = datetime(2026, 1, 31, 8, 0, tzinfo=UTC)


@FAST
@given(
    quantity=st.integers(min_value=1, max_value=50),
    added=st.integers(min_value=1, max_value=50),
    unit=st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2),
    extra_tier_unit=st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2),
    interval=st.sampled_from(["P1M", "P1Y", "P14D", "P3M"]),
    first=st.integers(min_value=0, max_value=10**6),
    later=st.integers(min_value=0, max_value=10**6),
)
def test_a_later_co_termed_commit_in_the_same_interval_never_costs_more_than_an_earlier_preview(
    quantity, added, unit, extra_tier_unit, interval, first, later
):
    """Holds for co-terming only: with ExtendInterval a later commit earns less credit, so it may cost more."""
    tiers = [pricing.Tier(1, unit), pricing.Tier(5, extra_tier_unit)]
    before = pricing.recurring_gross(tiers, quantity)
    after = pricing.recurring_gross(tiers, quantity + added)
    end = pricing.interval_boundary(start, pricing.parse_interval(interval), 1)
    length = (end - start).total_seconds()
    preview_at = start + timedelta(seconds=length * first / 10**6)
    commit_at = preview_at + (end - preview_at) * (later / 10**6)

    def charge(now):
        fraction = pricing.remaining_fraction(now=now, period_start=start, period_end=end)
        return pricing.coterm_charge(before=before, after=after, fraction=fraction, currency="USD")

    assert charge(commit_at) <= charge(preview_at)
    assert D(0) <= charge(preview_at) <= after - before
