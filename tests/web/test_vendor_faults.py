"""The vendor failing: a friendly 503 page with a retry link, never a 500 or a stack trace."""

import pytest
from django.core import mail

from tests.cast import ANNA, sign_in

pytestmark = pytest.mark.django_db


def assert_friendly(response, retry_url):
    html = response.content.decode()
    assert response.status_code == 503
    assert "Traceback" not in html
    assert "cannot be shown right now" in html
    assert f'href="{retry_url}"' in html
    assert html.count("<h1") == 1


@pytest.mark.parametrize("mode", ["error", "malformed"])
def test_subscription_page_when_the_vendor_fails(client, anna, vendor, mode):
    sign_in(client, anna)
    vendor.fault("getsubscription", mode=mode, count=10)
    vendor.fault("getsubscriptionsforcustomer", mode=mode, count=10)
    response = client.get("/subscriptions/68574751/?tab=1")
    assert_friendly(response, "/subscriptions/68574751/?tab=1")
    assert "<html" in response.content.decode()


def test_a_passing_fault_is_retried_by_the_client(client, anna, vendor, vendor_pauses):
    sign_in(client, anna)
    vendor.fault("getsubscriptionsforcustomer", count=1)  # the page's one call: the list, which brings the subscription
    assert client.get("/subscriptions/68574751/").status_code == 200
    assert len(vendor_pauses) == 1


def test_list_page_when_the_vendor_fails(client, anna, vendor):
    sign_in(client, anna)
    vendor.fault("getsubscriptionsforcustomer", count=10, status=503)
    assert_friendly(client.get("/"), "/")


def test_rate_limited_by_the_vendor(client, anna, vendor):
    sign_in(client, anna)
    vendor.fault("getsubscription", count=10, status=429)
    vendor.fault("getsubscriptionsforcustomer", count=10, status=429)
    response = client.get("/subscriptions/68574751/")
    assert response.status_code == 503
    assert "Traceback" not in response.content.decode()


def test_htmx_requests_get_the_fragment(client, anna, vendor):
    sign_in(client, anna)
    vendor.fault("getsubscription", count=10)
    vendor.fault("getsubscriptionsforcustomer", count=10)
    response = client.get(
        "/subscriptions/68574751/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/somewhere/"
    )
    html = response.content.decode()
    assert response.status_code == 503
    assert "<html" not in html
    assert 'id="vendor-failure"' in html
    assert 'href="/somewhere/"' in html


def test_sign_in_when_the_vendor_fails(client, vendor):
    vendor.fault("getsubscriptionsforcustomer", count=10)
    response = client.post("/sign-in/", {"email": ANNA.email})
    assert_friendly(response, "/sign-in/")
    assert not mail.outbox


def test_portal_api_when_the_vendor_fails(client, vendor):
    import json

    from subscriptions.models import PortalKey

    _key, raw = PortalKey.issue("Cloudify")
    vendor.fault("getsubscriptionsforcustomer", count=10)
    response = client.post(
        "/api/portal-sessions",
        json.dumps({"customer_id": ANNA.vendor_id, "return_url": "https://example.com/"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 503
    assert response.json()["error"]
