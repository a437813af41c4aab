"""`{% load money %}`: `{{ prices|money }}`, `{{ amount|money:currency }}`, `{{ dt|longdate }}`, `{{ n|status }}`."""

from django import template

from subscriptions.formatting import (
    format_date,
    format_datetime,
    format_money,
    format_month,
    format_validity,
    interval_phrase,
    renewal_type_label,
    staff_state_label,
    status_label,
    with_currency,
)

register = template.Library()


@register.filter
def money(value, currency=None) -> str:
    """A `Prices` (its gross amount) or an amount with a currency, in the active language's locale."""
    if value is None or value == "":
        return ""
    if currency is None:
        return format_money(value.gross, value.currency)
    return format_money(value, currency)


@register.filter
def longdate(value) -> str:
    return format_date(value)


@register.filter
def longdatetime(value) -> str:
    return format_datetime(value)


@register.filter
def validity(value) -> str:
    """Until when: "today, 13:12 UTC", or with the date on any other day."""
    return format_validity(value) if value else ""


@register.filter(name="with_currency")
def with_currency_filter(value, currency) -> str:
    """The catalog's words with any bare amount in them written as money in `currency`."""
    return with_currency(str(value), currency)


@register.filter
def staff_state(quote) -> str:
    """A quote's state as the support console words it."""
    return staff_state_label(quote.shown_state)


@register.filter
def status(value) -> str:
    return status_label(value)


@register.filter
def renewal_type(value) -> str:
    return renewal_type_label(value)


@register.filter
def card_expiry(payment) -> str:
    """A `PaymentInfo`'s expiry month in words."""
    if payment is None:
        return ""
    return format_month(payment.expires_year, payment.expires_month)


@register.simple_tag
def billing_interval(subscription) -> str:
    return interval_phrase(subscription.interval_months, subscription.interval_days, label=True)
