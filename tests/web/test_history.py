"""The change history lists what the customer agreed to, with its outcome, and an open quote once.

Prices looked at and never agreed to (expired, or replaced) stay in the ledger for support; they are not changes.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import Quote
from tests.cast import MONTHLY, YEARLY
from tests.changes.flows import commit, preview
from tests.web.test_pages import main_html, text

pytestmark = pytest.mark.django_db


def _rows(response) -> list[str]:
    html = main_html(response)
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr")[1:] if "<tbody>" in html else []


def test_only_agreed_changes_and_the_open_quote_are_listed(anna_client, vendor):
    for _ in range(3):  # looked at the price three times, never agreed
        preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=2)
    Quote.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    _, agreed = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    assert commit(anna_client, agreed).status_code == 302
    preview(anna_client, YEARLY, kind="coterm", running_no=1)
    _, open_quote = preview(anna_client, YEARLY, kind="coterm", running_no=1)
    open_quote.refresh_from_db()

    response = anna_client.get(reverse("subscriptions:changes"))

    rows = _rows(response)
    assert len(rows) == 2, rows
    page = text(response)
    assert "Cloudify M: 10 → 25 seats" in page and "Done" in page
    assert page.count("Cloudify Storage A: 1 → 2 seats") == 1
    expires = timezone.localtime(open_quote.expires_at)
    assert f"Open until {expires.day} {expires:%B %Y}, {expires:%H:%M} UTC" in page
    assert reverse("subscriptions:quote", args=[open_quote.public_id]) in main_html(response)
    assert "Expired" not in page and "Awaiting your consent" not in page


def test_a_quote_replaced_after_agreeing_shows_with_its_outcome(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    vendor.load(
        {
            "products": [
                {
                    "id": 293160,
                    "name": "Cloudify M",
                    "interval": "P1M",
                    "prices": {"USD": [{"from": 1, "unit_gross": "90.00"}]},
                }
            ]
        }
    )
    response = commit(anna_client, quote)
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.state == "superseded"

    page = text(anna_client.get(reverse("subscriptions:changes")))

    assert "Replaced by a new quote" in page
    assert page.count("Cloudify M: 10 → 25 seats") == 2  # the agreed one and the new open quote
    assert "Open until" in page
