"""Money, dates and statuses for people: one implementation for pages, e-mails and the admin.

Babel does the locale work; we never build "1.234,56" by hand. Dates are written with the
month's name so "05/06" cannot be misread.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, get_currency_precision
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, to_locale

__all__ = [
    "babel_locale",
    "billing_interval_label",
    "format_date",
    "format_datetime",
    "format_money",
    "format_month",
    "renewal_type_label",
    "status_label",
    "timeline_label",
]

DATE_PATTERNS = {"en": "d MMMM y", "de": "d. MMMM y"}
"""Day, month name, year: unambiguous. Other languages use Babel's "long" format."""

STATUS_LABELS = {
    1: _("Active"),
    2: _("Deactivated"),
    3: _("Finished"),
    4: _("Grace"),
    5: _("Hold"),
    6: _("New"),
    7: _("Handled by client"),
    8: _("Awaiting new order"),
}


def babel_locale(locale: str | None = None) -> Locale:
    """A Babel locale from a Django language code ("de", "en-us") or locale ("de_DE"); default: the active one."""
    code = to_locale(locale or translation.get_language() or "en")
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def format_money(amount: Decimal | int | str, currency: str, locale: str | None = None) -> str:
    """`format_money(Decimal("1159.89"), "USD", "de")` → "1.159,89 $"; "en" → "$1,159.89".

    Rounded half-up to the currency's minor unit first, as the vendor rounds (Babel alone rounds half-even).
    """
    minor_unit = Decimal(1).scaleb(-get_currency_precision(currency))
    rounded = Decimal(amount).quantize(minor_unit, rounding=ROUND_HALF_UP)
    return format_currency(rounded, currency, locale=babel_locale(locale))


def format_date(value: date | datetime | None, locale: str | None = None) -> str:
    """`format_date(datetime(2026, 5, 23, ...), "en")` → "23 May 2026"; "de" → "23. Mai 2026"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()
    loc = babel_locale(locale)
    return babel_format_date(value, format=DATE_PATTERNS.get(loc.language, "long"), locale=loc)


def format_datetime(value: datetime | None, locale: str | None = None) -> str:
    """`format_datetime(aware, "en")` → "21 November 2026, 12:46 UTC"; "de" → "21. November 2026, 12:46 UTC"."""
    if value is None:
        return ""
    moment = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{format_date(moment, locale)}, {moment:%H:%M} {moment.tzname() or 'UTC'}"


TIMELINE_LABELS = {
    "change.quoted": _("Price quoted"),
    "change.prepared_by_agent": _("Prepared for you by our support team"),
    "change.consent_link_sent": _("Link to review the change sent by e-mail"),
    "change.consented": _("You agreed"),
    "change.reconsent_required": _("The price changed; a new agreement is needed"),
    "change.commit_sent": _("Sent to the billing provider"),
    "change.committed": _("Confirmed by the billing provider"),
    "change.confirmed_applied": _("Confirmed by the billing provider"),
    "change.rejected": _("Declined by the billing provider; nothing was charged"),
    "change.not_sent": _("Not sent; nothing was charged"),
    "change.outcome_unknown": _("Being confirmed with the billing provider"),
    "change.paid": _("Payment received"),
    "change.failed": _("Not applied; nothing was charged"),
    "change.flagged_for_support": _("Passed to our support team to check"),
    "change.charged_above_consent": _("Passed to our support team to check"),
}
"""What a customer's receipt says for each ledger action; actions not listed stay in the admin only."""


def timeline_label(action: str) -> str | None:
    label = TIMELINE_LABELS.get(action)
    return str(label) if label is not None else None


def status_label(status: int) -> str:
    """The vendor's status number in words, translatable."""
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else str(_("Unknown status ({status})")).format(status=status)


def format_month(year: int | None, month: int | None, locale: str | None = None) -> str:
    """A card's expiry month: "December 2027" ("Dezember 2027")."""
    if not year or not month:
        return ""
    return babel_format_date(date(year, month, 1), format="MMMM y", locale=babel_locale(locale))


RENEWAL_TYPE_LABELS = {"Automatic": _("Automatic"), "Manual": _("Manual")}


def renewal_type_label(renewal_type: str) -> str:
    return str(RENEWAL_TYPE_LABELS.get(renewal_type, renewal_type))


def billing_interval_label(months: int, days: int) -> str:
    """Labels such as "Monthly", "Yearly", "Every 3 months", "Every 14 days"."""
    if months and not days:
        if months == 1:
            return str(_("Monthly"))
        if months == 12:
            return str(_("Yearly"))
        return ngettext("Every %(n)d month", "Every %(n)d months", months) % {"n": months}
    if days and not months:
        return ngettext("Every %(n)d day", "Every %(n)d days", days) % {"n": days}
    return ""
