"""One way to write a moment for customers ("3 December 2026, 13:03 UTC"), and every amount as money.

A validity time carries its date unless it is today; no page shows an ISO timestamp; a price in the catalog's
words gets the subscription's currency.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from subscriptions.formatting import format_validity
from subscriptions.models import Quote
from tests.cast import MONTHLY, YEARLY
from tests.changes.flows import commit, preview
from tests.web.test_pages import text

pytestmark = pytest.mark.django_db

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def test_a_validity_time_has_its_date_unless_it_is_today():
    now = timezone.now().replace(hour=12, minute=0)
    assert format_validity(now.replace(hour=13, minute=12), now=now, locale="en") == "today, 13:12 UTC"
    tomorrow = now + timedelta(days=1)
    expected = f"{tomorrow.day} {tomorrow:%B %Y}, 13:12 UTC"
    assert format_validity(tomorrow.replace(hour=13, minute=12), now=now, locale="en") == expected
    assert format_validity(now.replace(hour=13, minute=12), now=now, locale="de") == "heute, 13:12 UTC"


def test_a_quote_valid_until_tomorrow_says_so(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    tomorrow = timezone.now() + timedelta(days=1)
    Quote.objects.filter(pk=quote.pk).update(expires_at=tomorrow)

    page = text(anna_client.get(reverse("subscriptions:quote", args=[quote.public_id])))

    assert f"Price valid until {tomorrow.day} {tomorrow:%B %Y}, {tomorrow:%H:%M} UTC" in page


def test_no_customer_page_shows_an_iso_timestamp(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)
    given = quote.consent.given_at

    pages = {
        "receipt": anna_client.get(reverse("subscriptions:receipt", args=[quote.public_id])),
        "history": anna_client.get(reverse("subscriptions:changes")),
        "subscription": anna_client.get(reverse("subscriptions:subscription", args=[MONTHLY])),
        "list": anna_client.get("/"),
    }

    assert {name: ISO.findall(text(page)) for name, page in pages.items()} == {name: [] for name in pages}
    assert f"Agreed on {given.day} {given:%B %Y}, {given:%H:%M} UTC" in text(pages["receipt"])


def test_a_catalog_price_is_shown_with_its_currency(anna_client, vendor):
    page = text(anna_client.get(reverse("subscriptions:subscription", args=[YEARLY])))
    german = text(anna_client.get(reverse("subscriptions:subscription", args=[YEARLY]), HTTP_ACCEPT_LANGUAGE="de"))

    assert "Second seat at $600.00/year" in page
    assert " 600.00" not in page
    assert "Second seat at 600,00 $/year" in german
