"""The customer reads plain words: what a status means, that a card expired, that a subscription ended, whom to
contact, why nothing can be changed, and the bank-confirmation sentence only where it can apply."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from sandbox.models import Subscription as VendorSubscription
from subscriptions.formatting import sca_may_apply
from subscriptions.models import CatalogProduct, Customer, Quote, QuoteState
from tests.cast import BENS, DEACTIVATED, MONTHLY, YEARLY, sign_in
from tests.changes.flows import preview
from tests.web.test_pages import text

pytestmark = pytest.mark.django_db


def _page(client, subscription_id, **headers) -> str:
    return text(client.get(reverse("subscriptions:subscription", args=[subscription_id]), **headers))


def test_an_overdue_payment_is_called_that(anna_client, vendor):
    VendorSubscription.objects.filter(pk=MONTHLY).update(status=4)

    page = _page(anna_client, MONTHLY)
    listing = text(anna_client.get("/"))

    assert "Grace" not in page and "Grace" not in listing
    assert "Payment overdue" in page and "Payment overdue" in listing
    assert "The last payment for this subscription did not go through." in page
    assert "Zahlung überfällig" in _page(anna_client, MONTHLY, HTTP_ACCEPT_LANGUAGE="de")


def test_an_expired_card_is_said_to_have_expired(client, ben, vendor, catalog):
    sign_in(client, ben)

    page = _page(client, BENS)

    assert "This card expired at the end of April 2026." in page
    assert "expires before the next billing date" not in page
    assert "Expired April 2026" in page


def test_a_card_that_will_expire_is_still_warned_about(client, ben, vendor, catalog, monkeypatch):
    from subscriptions.views import pages

    monkeypatch.setattr(pages, "now", lambda: datetime(2026, 4, 24, 16, 1, 10, tzinfo=UTC))  # the card's last month

    page = _page(sign_in(client, ben), BENS)

    assert "This payment method expires before the next billing date." in page
    assert "expired at the end" not in page


def test_an_ended_subscription_says_it_ended_and_shows_no_next_billing(anna_client, vendor):
    page = _page(anna_client, DEACTIVATED)
    listing = text(anna_client.get("/"))

    assert "This subscription has ended and is no longer billed." in page
    assert "Next billing" not in page and "$0.00" not in page
    assert "status:" not in page
    row = listing.split("S68574799", 1)[1][:80]
    assert "$0.00" not in row


def test_contact_us_comes_with_the_contact(anna_client, vendor, settings):
    settings.SUPPORT_CONTACT = {"email": "help@vendor.example", "url": "https://vendor.example/help", "phone": ""}

    html = anna_client.get(reverse("subscriptions:subscription", args=[DEACTIVATED])).content.decode()

    assert 'href="mailto:help@vendor.example"' in html
    assert 'href="https://vendor.example/help"' in html


def test_the_support_contact_comes_from_the_environment():
    from django.conf import settings

    assert settings.SUPPORT_CONTACT["email"]  # the demo's default when SUPPORT_EMAIL is not set


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("inactive", "This subscription is not active, so it cannot be changed here."),
        ("nothing", "Nothing about this product can be changed here."),
    ],
)
def test_no_changes_always_says_why(anna_client, vendor, case, reason):
    if case == "inactive":
        subscription = DEACTIVATED
    else:
        CatalogProduct.objects.all().delete()
        subscription = YEARLY

    page = _page(anna_client, subscription)

    assert f"No changes are available for this subscription here. {reason}" in page


def test_no_changes_while_one_is_being_confirmed_says_so(anna_client, vendor):
    from subscriptions.views.pages import _no_offers_reason

    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    Quote.objects.filter(pk=quote.pk).update(state=QuoteState.OUTCOME_UNKNOWN)

    reason = _no_offers_reason(SimpleNamespace(id=MONTHLY, is_active=True))

    assert reason == "A change to this subscription is being confirmed. Other changes are possible once it is done."


@pytest.mark.parametrize(
    ("country", "applies"),
    [("DE", True), ("AT", True), ("NO", True), ("US", False), ("CH", False), ("", True), (None, True)],
)
def test_the_bank_confirmation_sentence_only_where_it_can_apply(country, applies):
    assert sca_may_apply(country) is applies


@pytest.mark.parametrize(("country", "shown"), [("", True), ("DE", True), ("US", False)])
def test_the_sentence_follows_the_country_on_the_customer_record(anna_client, vendor, country, shown):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=1)
    Customer.objects.filter(pk=quote.customer_id).update(country=country)
    url = reverse("subscriptions:quote", args=[quote.public_id])

    assert ("Strong Customer Authentication" in text(anna_client.get(url))) is shown


def test_the_country_is_two_capital_letters():
    with pytest.raises(ValidationError):
        Customer(vendor_id=1, country="de").full_clean()
