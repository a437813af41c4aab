"""All of the sandbox's money and calendar arithmetic, pure and in Decimal.

Kept free of Django so that the figures of the vendor's guides can be checked
here alone, and so that no float ever touches an amount.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor units; every currency not listed has two.
MINOR_UNITS: dict[str, int] = {
    "BHD": 3,
    "BIF": 0,
    "CLP": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "TND": 3,
    "UGX": 0,
    "VND": 0,
    "XAF": 0,
    "XOF": 0,
}
DEFAULT_MINOR_UNITS = 2

_DURATION = re.compile(r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?$")


class PricingError(ValueError):
    """A price cannot be computed from the data given (bad interval, no tier for a seat)."""


@dataclass(frozen=True)
class Interval:
    """A billing interval in calendar months plus days, as the vendor counts it."""

    months: int
    days: int


@dataclass(frozen=True)
class Tier:
    """From seat number `first_seat` on, each seat costs `unit_gross`."""

    first_seat: int
    unit_gross: Decimal


@dataclass(frozen=True)
class Amount:
    """A gross amount split into net and VAT; the three always add up."""

    gross: Decimal
    net: Decimal
    vat: Decimal


def parse_interval(text: str) -> Interval:
    """Parse the ISO 8601 durations the sandbox's products use (`P1M`, `P1Y`, `P14D`, `P1Y6M`, `P2W`)."""
    match = _DURATION.match(text or "")
    if not match or text == "P":
        raise PricingError(f"not an ISO 8601 date duration: {text!r}")
    parts = {name: int(value or 0) for name, value in match.groupdict().items()}
    interval = Interval(months=parts["years"] * 12 + parts["months"], days=parts["weeks"] * 7 + parts["days"])
    if interval.months == 0 and interval.days == 0:
        raise PricingError(f"an interval must not be empty: {text!r}")
    return interval


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency.upper(), DEFAULT_MINOR_UNITS)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit, as the vendor's figures are."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def is_on_minor_unit(amount: Decimal, currency: str) -> bool:
    return amount == round_money(amount, currency)


def split_gross(gross: Decimal, vat_rate: Decimal, currency: str) -> Amount:
    """Net = gross / (1 + VAT rate), rounded; VAT is the rest, so that net + VAT = gross exactly."""
    gross = round_money(gross, currency)
    net = round_money(gross / (1 + vat_rate), currency)
    return Amount(gross=gross, net=net, vat=gross - net)


def recurring_gross(tiers: Iterable[Tier], quantity: int) -> Decimal:
    """Graduated pricing: seat n costs the unit price of the tier with the greatest first seat <= n."""
    ordered = sorted(tiers, key=lambda tier: tier.first_seat)
    if quantity <= 0:
        return Decimal(0)
    if not ordered or ordered[0].first_seat > 1:
        raise PricingError("no price for the first seat")
    total = Decimal(0)
    for index, tier in enumerate(ordered):
        last_seat = ordered[index + 1].first_seat - 1 if index + 1 < len(ordered) else quantity
        seats = min(last_seat, quantity) - tier.first_seat + 1
        if seats <= 0:
            break
        total += tier.unit_gross * seats
    return total


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months with month-end clamping: Jan 31 + 1 month is Feb 28 (or 29)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def interval_boundary(anchor: datetime, interval: Interval, count: int) -> datetime:
    """The start of interval number `count` counted from the anchor (always from the anchor, so Jan 31
    gives Feb 28 then Mar 31, never Mar 28)."""
    return add_months(anchor, interval.months * count) + timedelta(days=interval.days * count)


def seconds(span: timedelta) -> Decimal:
    """A timedelta as an exact Decimal number of seconds, microseconds included."""
    return Decimal(span.days * 86400 + span.seconds) + Decimal(span.microseconds).scaleb(-6)


def remaining_fraction(*, now: datetime, period_start: datetime, period_end: datetime) -> Decimal:
    """The unused share of the current interval, to the microsecond, within [0, 1].

    Before the interval starts (a subscription whose start lies ahead) the whole interval remains.
    """
    length = seconds(period_end - period_start)
    left = seconds(period_end - max(now, period_start))
    return max(Decimal(0), min(Decimal(1), left / length))


def coterm_charge(*, before: Decimal, after: Decimal, fraction: Decimal, currency: str) -> Decimal:
    """Gross charged now when the change is co-termed to the current interval (may be negative)."""
    return round_money((after - before) * fraction, currency)


def extend_charge(*, before: Decimal, after: Decimal, fraction: Decimal, currency: str) -> Decimal:
    """Gross charged now when the whole subscription restarts a full interval now: the new price of a
    full interval minus the unused, already paid part of the old one."""
    return round_money(after - before * fraction, currency)
