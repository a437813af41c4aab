"""Portal links asked for by the vendor's product: keys, return URLs, single use, expiry, "back to" link."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from subscriptions.access import CUSTOMER_SESSION_KEY
from subscriptions.models import Customer, PortalKey, SignInLink
from tests.cast import ANNA, CARLA

pytestmark = pytest.mark.django_db


@pytest.fixture
def key() -> str:
    _key, raw = PortalKey.issue("Cloudify")
    return raw


def ask(client, raw_key, **body):
    payload = {"customer_id": ANNA.vendor_id, "return_url": "https://example.com/account", **body}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"} if raw_key is not None else {}
    return client.post("/api/portal-sessions", json.dumps(payload), content_type="application/json", **headers)


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_a_portal_session_signs_the_customer_in_and_links_back(client, vendor, key, settings):
    settings.SITE_URL = "https://billing.example.com"
    response = ask(client, key)
    assert response.status_code == 201
    body = response.json()
    assert body["url"].startswith("https://billing.example.com/portal/")
    expires_at = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=4) < expires_at - timezone.now() <= timedelta(minutes=5)

    browser = client.__class__()
    landing = browser.get(path_of(body["url"]))
    assert landing.status_code == 302
    assert landing["Location"] == "/"
    assert browser.session[CUSTOMER_SESSION_KEY] == Customer.objects.get(vendor_id=ANNA.vendor_id).pk
    page = browser.get("/").content.decode()
    assert '<a href="https://example.com/account" class="back-link">Back to Cloudify</a>' in page


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer pk_wrong", "Basic c2FuZGJveDpzYW5kYm94"])
def test_a_bad_key_is_refused(client, vendor, key, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    payload = json.dumps({"customer_id": ANNA.vendor_id, "return_url": "https://example.com/"})
    response = client.post("/api/portal-sessions", payload, content_type="application/json", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not SignInLink.objects.exists()


def test_a_revoked_key_is_refused(client, vendor, key):
    PortalKey.objects.update(revoked_at=timezone.now())
    assert ask(client, key).status_code == 401


@pytest.mark.parametrize(
    "return_url",
    [
        "https://evil.example.net/",
        "https://example.com.evil.net/",
        "javascript:alert(1)",
        "ftp://example.com/",
        "//example.com/",
        "https://user:pw@example.com/",
        "",
        None,
    ],
)
def test_a_foreign_return_url_is_refused(client, vendor, key, return_url):
    response = ask(client, key, return_url=return_url)
    assert response.status_code == 400
    assert "return_url" in response.json()["error"]


@pytest.mark.parametrize("customer_id", [None, "abc", -1, 0, True, 1.5, "\u00b2"])
def test_a_malformed_customer_id_is_refused(client, vendor, key, customer_id):
    assert ask(client, key, customer_id=customer_id).status_code == 400


def test_a_customer_unknown_to_the_vendor_gets_no_link(client, vendor, key):
    assert ask(client, key, customer_id=CARLA.vendor_id).status_code == 404


def test_the_body_must_be_json(client, vendor, key):
    response = client.post(
        "/api/portal-sessions", "customer_id=1", content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 400


def test_only_post_is_allowed(client, vendor, key):
    assert client.get("/api/portal-sessions", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 405


def test_a_portal_link_works_once(client, vendor, key):
    url = path_of(ask(client, key).json()["url"])
    assert client.__class__().get(url).status_code == 302
    again = client.__class__()
    response = again.get(url)
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert CUSTOMER_SESSION_KEY not in again.session


def test_an_expired_portal_link_explains_itself(client, vendor, key):
    url = path_of(ask(client, key).json()["url"])
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(url)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert CUSTOMER_SESSION_KEY not in client.session


def test_a_portal_token_is_no_email_token(client, vendor, key):
    url = path_of(ask(client, key).json()["url"])
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert client.post(f"/sign-in/{token}/").status_code == 404


def test_keys_are_stored_hashed_and_printed_once_by_the_command():
    out = StringIO()
    call_command("create_portal_key", "Cloudify", stdout=out, stderr=StringIO())
    raw = out.getvalue().strip()
    key = PortalKey.objects.get()
    assert raw.startswith(key.prefix)
    assert raw not in (key.key_hash, key.prefix)
    assert PortalKey.find_active(raw) == key


def test_the_admin_shows_a_new_key_once(admin_client):
    response = admin_client.post("/admin/subscriptions/portalkey/add/", {"name": "Cloudify"}, follow=True)
    assert response.status_code == 200
    message = next(str(m) for m in response.context["messages"])
    raw = message.split(" is ", 1)[1].split(" ", 1)[0]
    assert PortalKey.find_active(raw) == PortalKey.objects.get()
    change_page = admin_client.get(f"/admin/subscriptions/portalkey/{PortalKey.objects.get().pk}/change/")
    assert raw not in change_page.content.decode()
