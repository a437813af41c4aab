"""Money and dates in the customer's language: Babel's formats, dates with the month's name."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from subscriptions.cleverbridge import Prices
from subscriptions.formatting import format_date, format_money, format_month, interval_phrase, status_label
from tests.cast import sign_in

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1159.89", "USD", "en", "$1,159.89"),
        ("1159.89", "USD", "de", f"1.159,89{NBSP}$"),
        ("800.00", "EUR", "en", "€800.00"),
        ("800.00", "EUR", "de", f"800,00{NBSP}€"),
        ("540.82", "USD", "de-de", f"540,82{NBSP}$"),
        ("12000", "JPY", "en", "¥12,000"),
        ("0", "USD", "en", "$0.00"),
    ],
)
def test_format_money(amount, currency, locale, expected):
    assert format_money(Decimal(amount), currency, locale) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("0.125", "USD", "$0.13"), ("2.5", "JPY", "¥3"), ("1.0005", "KWD", "KWD1.001"), ("0.135", "USD", "$0.14")],
)
def test_format_money_rounds_half_up_to_the_minor_unit(amount, currency, expected):
    """As the vendor rounds: an amount shown for consent is never a minor unit below the one charged."""
    assert format_money(Decimal(amount), currency, "en") == expected


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (datetime(2026, 5, 23, 15, 57, 14, tzinfo=UTC), "en", "23 May 2026"),
        (datetime(2026, 5, 23, 15, 57, 14, tzinfo=UTC), "de", "23. Mai 2026"),
        (date(2027, 3, 5), "en", "5 March 2027"),
        (date(2027, 3, 5), "de", "5. März 2027"),
        (None, "en", ""),
    ],
)
def test_format_date(value, locale, expected):
    assert format_date(value, locale) == expected


def test_format_month_and_labels():
    assert format_month(2027, 12, "en") == "December 2027"
    assert format_month(2027, 12, "de") == "Dezember 2027"
    assert format_month(None, None, "en") == ""
    with translation.override("en"):  # the labels follow the active language
        assert status_label(1) == "Active"
        assert status_label(42) == "Unknown status (42)"
        assert interval_phrase(1, 0, label=True) == "Monthly"
        assert interval_phrase(12, 0, label=True) == "Yearly"
        assert interval_phrase(3, 0, label=True) == "Every 3 months"
        assert interval_phrase(0, 14, label=True) == "Every 14 days"
        assert interval_phrase(1, 14, label=True) == ""


@pytest.mark.parametrize(
    ("language", "months", "days", "phrase"),
    [
        ("en", 1, 0, "per month"),
        ("en", 12, 0, "per year"),
        ("en", 3, 0, "every 3 months"),
        ("en", 0, 14, "every 14 days"),
        ("en", 1, 14, "per billing interval"),
        ("de", 1, 0, "monatlich"),
        ("de", 3, 0, "alle 3 Monate"),
    ],
)
def test_the_interval_inside_a_sentence(language, months, days, phrase):
    with translation.override(language):
        assert interval_phrase(months, days) == phrase


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "$1,159.89 | $800.00 | 23 May 2026"), ("de", f"1.159,89{NBSP}$ | 800,00{NBSP}$ | 23. Mai 2026")],
)
def test_template_filters_follow_the_active_language(language, expected):
    template = Template("{% load money %}{{ prices|money }} | {{ amount|money:'USD' }} | {{ when|longdate }}")
    prices = Prices(gross=Decimal("1159.89"), net=Decimal("974.70"), vat=Decimal("185.19"), currency="USD")
    context = Context({"prices": prices, "amount": Decimal("800"), "when": datetime(2026, 5, 23, tzinfo=UTC)})
    with translation.override(language):
        assert template.render(context) == expected


@pytest.mark.django_db
def test_pages_in_german(client, anna):
    sign_in(client, anna)
    html = client.get("/subscriptions/68574751/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de">' in html
    assert f"800,00{NBSP}$" in html
    assert f"672,27{NBSP}$" in html
    assert "23. Mai 2026" in html
    assert "Dezember 2027" in html
    listing = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f"1.200,00{NBSP}$" in listing
    assert "13. Mai 2027" in listing


@pytest.mark.django_db
def test_pages_in_english(client, anna):
    sign_in(client, anna)
    html = client.get("/subscriptions/68574751/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "$800.00" in html
    assert "23 May 2026" in html


@pytest.mark.django_db
def test_the_language_can_be_chosen(client, anna):
    sign_in(client, anna)
    response = client.post("/language/", {"language": "de", "next": "/"})
    assert response.status_code == 302
    assert "23. Mai 2026" in client.get("/").content.decode()
