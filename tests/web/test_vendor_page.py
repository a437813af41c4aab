"""The card and the invoices live on the vendor's own page (`SelfServiceUrl`): linked, never card data here."""

import re
from types import SimpleNamespace

import pytest
from django.utils import translation

from subscriptions.views.pages import vendor_page_url
from tests.cast import BENS, MONTHLY, sign_in

pytestmark = pytest.mark.django_db

VENDOR_PAGE = re.compile(r'href="(https://www\.cleverbridge\.com/864/s/s\d+-[0-9a-f]+)"')


def links(html: str, link_id: str) -> str:
    match = re.search(rf'<a href="([^"]+)" rel="noopener" target="_blank" id="{link_id}">', html)
    assert match, link_id
    return match.group(1)


def test_the_payment_card_and_the_documents_link_to_the_vendors_page(client, anna, vendor):
    sign_in(client, anna)
    html = client.get(f"/subscriptions/{MONTHLY}/").content.decode()
    url = vendor.subscription(MONTHLY)["SelfServiceUrl"]
    assert url.startswith("https://")
    assert links(html, "payment-method-link") == url
    assert links(html, "documents-link") == url
    assert "Documents and invoices" in html
    assert "Change payment method" in html
    assert "opens the billing provider's page in a new tab" in html
    assert "payment-expiry-update" not in html  # Anna's card lasts beyond the next billing
    assert "<input" not in html.split('id="payment-title"')[1].split("</section>")[0]  # no card field of ours


def test_the_expired_card_warning_links_to_the_vendors_page(client, ben, vendor):
    sign_in(client, ben)
    html = client.get(f"/subscriptions/{BENS}/").content.decode()
    warning = html.split('id="payment-expired-warning"')[1].split("</p>")[0]
    assert "This card expired at the end of" in warning
    assert links(warning, "payment-expiry-update") == vendor.subscription(BENS)["SelfServiceUrl"]


def test_the_links_are_german_for_a_german_customer(client, anna, vendor):
    sign_in(client, anna)
    with translation.override("de"):
        html = client.get(f"/subscriptions/{MONTHLY}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Dokumente und Rechnungen" in html
    assert "Zahlungsart ändern" in html


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://www.cleverbridge.com/864/s/s1-abc", "https://www.cleverbridge.com/864/s/s1-abc"),
        ("javascript:alert(1)", ""),
        ("http://www.cleverbridge.com/864/s/s1-abc", ""),
        ("", ""),
    ],
)
def test_only_a_web_address_is_linked(url, shown):
    assert vendor_page_url(SimpleNamespace(self_service_url=url)) == shown
