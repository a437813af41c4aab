"""The consent in the customer's language, the subscription page after a change, vendor failure in place."""

from django.conf import settings
from django.urls import reverse

from subscriptions.models import Consent
from tests.cast import MONTHLY
from tests.changes.flows import commit, preview


def test_consent_is_formatted_and_recorded_in_the_active_language(anna_client, vendor):
    anna_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    page = anna_client.get(reverse("subscriptions:quote", args=[quote.public_id])).content.decode()
    assert "1.159,89\xa0$" in page and "23. Mai 2026" in page

    commit(anna_client, quote)

    consent = Consent.objects.get(quote=quote)
    assert consent.language == "de"
    assert "1.159,89\xa0$" in consent.text and "2.000,00\xa0$" in consent.text and "23. Mai 2026" in consent.text
    assert f">{consent.text}</label>" in page


def test_subscription_page_shows_the_new_seats(anna_client, vendor):
    _, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    commit(anna_client, quote)
    page = anna_client.get(reverse("subscriptions:subscription", args=[MONTHLY])).content.decode()
    assert '<td data-label="Seats" class="num">25</td>' in page


def test_vendor_unreachable_before_the_preview_shows_a_message_in_place(anna_client, vendor, settings):
    settings.CLEVERBRIDGE_MAX_TRIES = 1
    vendor.fault("getsubscription", mode="error", status=500)
    vendor.fault("getsubscriptionsforcustomer", mode="error", status=500)
    response, quote = preview(anna_client, MONTHLY, htmx=True, kind="increase", running_no=1, quantity=15)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="change-problem"' in html
    assert "could not reach the billing provider" in html
    assert quote is None
