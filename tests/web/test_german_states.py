"""Every customer page, in every state a change can be in, is German when German is asked for.

The catalogue test (tests/e2e/test_translations.py) proves every marked string has a translation; this one proves
no English is left on the rendered pages: unmarked strings, labels taken from code, words put together by hand.
"""

import re

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse

from subscriptions.formatting import with_currency
from subscriptions.models import CatalogProduct, Quote, QuoteState
from tests.cast import DEACTIVATED, MONTHLY, YEARLY
from tests.changes.flows import preview
from tests.web.test_pages import text

pytestmark = pytest.mark.django_db

DE = {"HTTP_ACCEPT_LANGUAGE": "de"}

ENGLISH_WORDS = {
    "the",
    "your",
    "you",
    "and",
    "was",
    "were",
    "is",
    "has",
    "have",
    "with",
    "this",
    "for",
    "not",
    "been",
    "now",
    "paid",
    "done",
    "seats",
    "seat",
    "change",
    "quote",
    "charged",
    "billing",
    "next",
    "agreed",
    "until",
    "open",
    "expired",
    "being",
    "confirmed",
    "declined",
    "replaced",
    "sent",
    "applied",
    "awaiting",
    "consent",
    "payment",
    "refresh",
    "back",
    "subscription",
    "net",
    "month",
    "year",
    "from",
    "see",
    "details",
    "add",
}
"""Words of the English pages that no German sentence here uses."""

NOT_WORDS = {"S68574751", "S68841753", "S68574799", "UTC", "Visa", "JSON", "Cloudify", "USD"}


def english_leftovers(page: str) -> list[str]:
    """English words on a German page, and any English sentence of the catalogue that appears whole."""
    words = {w for w in re.findall(r"[A-Za-zÄÖÜäöüß]+", page) if w not in NOT_WORDS}
    found = sorted(w for w in words if w.lower() in ENGLISH_WORDS)
    with open(settings.BASE_DIR / "locale" / "de" / "LC_MESSAGES" / "django.po", "rb") as po:
        for message in read_po(po):
            english = message.id if isinstance(message.id, str) else message.id[0]
            plain = re.sub(r"%\(\w+\)[sd]|\{\w+\}", "", english).strip()
            if len(plain.split()) >= 3 and plain in page:
                found.append(plain)
    return found


def visible(response) -> str:
    """The page's text without the vendor's product names and the catalog's own descriptions (data in the admin)."""
    page = text(response)
    for product in CatalogProduct.objects.all():
        for offer in product.coterm_offers.all():
            label = with_currency(offer.label, "USD", "de").replace("\xa0", " ")
            page = page.replace(label, "").replace(offer.description, "")
        for addon in product.addons.all():
            page = page.replace(addon.description, "")
        for switch in product.plan_switches.all():
            page = page.replace(switch.description, "") if switch.description else page
    for name in ("Cloudify Storage A", "Cloudify M", "Cloudify Backup", "Cloudify Priority Support"):
        page = page.replace(name, "")
    return page


@pytest.fixture
def a_change(anna_client, vendor) -> Quote:
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    url = reverse("subscriptions:quote_commit", args=[quote.public_id])
    assert anna_client.post(url, {"consent": "yes"}, **DE).status_code == 302  # agreed to the German text
    quote.refresh_from_db()
    return quote


@pytest.mark.parametrize("state", [s for s in QuoteState.values if s not in ("quoted", "expired")])
def test_the_receipt_in_every_state_is_german(anna_client, a_change, state):
    Quote.objects.filter(pk=a_change.pk).update(state=state, vendor_message="")

    response = anna_client.get(reverse("subscriptions:receipt", args=[a_change.public_id]), **DE)
    fragment = anna_client.get(
        reverse("subscriptions:receipt", args=[a_change.public_id]), HTTP_HX_REQUEST="true", **DE
    )
    history = anna_client.get(reverse("subscriptions:changes"), **DE)

    assert english_leftovers(visible(response)) == []
    assert english_leftovers(visible(fragment)) == []
    assert english_leftovers(visible(history)) == []


@pytest.mark.parametrize("expired", [False, True], ids=["open", "expired"])
def test_an_unused_quote_is_german(anna_client, vendor, expired):
    _, quote = preview(anna_client, YEARLY, kind="coterm", running_no=1)
    if expired:
        Quote.objects.filter(pk=quote.pk).update(expires_at=quote.created_at)

    page = visible(anna_client.get(reverse("subscriptions:quote", args=[quote.public_id]), **DE))
    history = visible(anna_client.get(reverse("subscriptions:changes"), **DE))

    assert english_leftovers(page) == []
    assert english_leftovers(history) == []


@pytest.mark.parametrize("subscription", [MONTHLY, YEARLY, DEACTIVATED])
def test_the_subscription_pages_are_german(anna_client, vendor, subscription):
    assert (
        english_leftovers(visible(anna_client.get(reverse("subscriptions:subscription", args=[subscription]), **DE)))
        == []
    )
    assert english_leftovers(visible(anna_client.get("/", **DE))) == []


def test_the_labels_taken_from_code_are_translated():
    from django.utils import translation

    with translation.override("de"):
        assert str(QuoteState.PAID.label) == "Bezahlt"
        assert str(QuoteState.QUOTED.label) == "Wartet auf Ihre Zustimmung"


def test_the_leftover_check_finds_english():
    assert english_leftovers("Status: Paid") == ["Paid"]
    found = english_leftovers("Hinweis: Please tick the box to agree before confirming.")
    assert "Please tick the box to agree before confirming." in found and "the" in found
    assert english_leftovers("Ihre Änderung ist erledigt.") == []


@pytest.mark.parametrize("url", ["/sign-in/", "/sign-in/no-such-link/", "/no-such-page/"])
def test_the_pages_before_signing_in_are_german(client, vendor, url):
    assert english_leftovers(visible(client.get(url, **DE))) == []
