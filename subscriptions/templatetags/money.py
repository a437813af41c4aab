"""`{% load money %}`: `{{ prices|money }}`, `{{ amount|money:currency }}`, `{{ dt|longdate }}`, `{{ n|status }}`."""

from django import template

from subscriptions.formatting import format_date, format_money, status_label

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
def status(value) -> str:
    return status_label(value)
