"""Access: sign-in required, sessions bound to one customer, 404 for every subscription that is not yours."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from subscriptions.access import CUSTOMER_SESSION_KEY
from tests.cast import ANNA, BEN, CARLA, CAST, OTTO, sign_in

pytestmark = pytest.mark.django_db

ALL_IDS = {subscription_id for member in CAST for subscription_id in member.subscription_ids}
UNKNOWN_IDS = [10000001, 99999999, 68574750]


@pytest.mark.parametrize(
    ("member", "fixture"),
    [(ANNA, "anna"), (BEN, "ben"), (CARLA, "carla"), (OTTO, "otto")],
)
def test_every_foreign_subscription_is_not_found(client, request, member, fixture):
    sign_in(client, request.getfixturevalue(fixture))
    for subscription_id in sorted(ALL_IDS - set(member.subscription_ids)):
        response = client.get(f"/subscriptions/{subscription_id}/")
        assert response.status_code == 404, subscription_id
    for subscription_id in member.subscription_ids:
        assert client.get(f"/subscriptions/{subscription_id}/").status_code == 200


def _without_tokens(content: bytes, subscription_id: int) -> bytes:
    """The page with its id and its per-render CSRF tokens masked, to compare two answers."""
    masked = content.replace(str(subscription_id).encode(), b"ID")
    return re.sub(rb'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', rb"\1TOKEN", masked)


def test_foreign_and_unknown_ids_look_the_same(client, anna):
    sign_in(client, anna)
    foreign = client.get(f"/subscriptions/{OTTO.subscription_ids[0]}/")
    for subscription_id in UNKNOWN_IDS:
        unknown = client.get(f"/subscriptions/{subscription_id}/")
        assert unknown.status_code == foreign.status_code == 404
        assert _without_tokens(unknown.content, subscription_id) == _without_tokens(
            foreign.content, OTTO.subscription_ids[0]
        )


def test_subscription_pages_need_a_signed_in_customer(client, vendor):
    response = client.get("/subscriptions/68574751/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=%2Fsubscriptions%2F68574751%2F"


def test_htmx_requests_are_redirected_by_htmx(client, vendor):
    response = client.get("/subscriptions/68574751/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/sign-in/?next=")


def test_sign_out_ends_the_session_on_the_server(client, anna):
    sign_in(client, anna)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    response = client.post("/sign-out/")
    assert response.status_code == 200
    assert "You are signed out" in response.content.decode()
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/subscriptions/68574751/").status_code == 302


def test_sign_out_needs_post(client, anna):
    sign_in(client, anna)
    assert client.get("/sign-out/").status_code == 405
    assert client.get("/").status_code == 200


def test_idle_sessions_expire(client, anna, settings):
    assert settings.SESSION_COOKIE_AGE == settings.CUSTOMER_IDLE_MINUTES * 60 == 30 * 60
    sign_in(client, anna)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert client.get("/").status_code == 302


def test_signing_in_as_someone_else_starts_a_fresh_session(client, anna, ben):
    sign_in(client, anna)
    session = client.session
    session["portal_return"] = {"url": "https://example.com/", "name": "Cloudify"}
    session.save()
    sign_in(client, ben)
    assert client.session[CUSTOMER_SESSION_KEY] == ben.pk
    assert "portal_return" not in client.session


def test_no_view_takes_a_customer_id_from_the_request(client, anna, ben):
    sign_in(client, anna)
    page = client.get("/", {"customer_id": BEN.vendor_id, "vendor_id": BEN.vendor_id}).content.decode()
    assert "S68900102" not in page
    assert "S68574751" in page
