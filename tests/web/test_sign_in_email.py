"""Sign-in by e-mailed link: same answer for any address, single use, expiry, rate limit, session rotation."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from subscriptions.access import CUSTOMER_SESSION_KEY
from subscriptions.models import Customer, SignInLink
from tests.cast import ANNA, BEN, CARLA

pytestmark = pytest.mark.django_db


def ask_link(client, email, **extra):
    return client.post("/sign-in/", {"email": email, **extra})


def token_from_mail(message) -> str:
    found = re.search(r"/sign-in/([\w-]+)/", message.body)
    assert found, message.body
    return found.group(1)


def test_sign_in_page_has_a_labelled_email_field(client):
    response = client.get("/sign-in/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_email">' in html
    assert html.count("<h1") == 1


def test_known_address_gets_a_link_that_signs_in(client, vendor, settings):
    settings.SITE_URL = "https://billing.example.com"
    response = ask_link(client, ANNA.email)
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [ANNA.email]
    assert "https://billing.example.com/sign-in/" in message.body
    assert "15 minutes" in message.body
    token = token_from_mail(message)

    confirm = client.get(f"/sign-in/{token}/")
    assert confirm.status_code == 200
    assert SignInLink.objects.get().used_at is None, "opening the link (e.g. by a mail scanner) must not use it"

    signed = client.post(f"/sign-in/{token}/")
    assert signed.status_code == 302
    assert signed["Location"] == "/"
    customer = Customer.objects.get(vendor_id=ANNA.vendor_id)
    assert customer.email == ANNA.email
    assert customer.last_sign_in_at is not None
    assert client.session[CUSTOMER_SESSION_KEY] == customer.pk


def test_unknown_address_gets_the_same_answer_and_no_mail(client, vendor):
    known = ask_link(client, ANNA.email)
    unknown = ask_link(client, CARLA.email)
    assert known.status_code == unknown.status_code == 200
    normalise = lambda r: r.content.decode().replace(ANNA.email, "EMAIL").replace(CARLA.email, "EMAIL")  # noqa: E731
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert csrf.sub("", normalise(known)) == csrf.sub("", normalise(unknown))
    assert [m.to for m in mail.outbox] == [[ANNA.email]]
    assert not SignInLink.objects.filter(email=CARLA.email).exists()


def test_invalid_address_is_explained_next_to_the_field(client, vendor):
    response = ask_link(client, "not-an-address")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-invalid="true"' in html
    assert 'id="id_email-error"' in html
    assert not mail.outbox


def test_a_used_link_explains_itself_and_offers_a_new_one(client, vendor):
    ask_link(client, BEN.email)
    token = token_from_mail(mail.outbox[0])
    assert client.post(f"/sign-in/{token}/").status_code == 302

    other = client.__class__()
    again = other.post(f"/sign-in/{token}/")
    assert again.status_code == 410
    html = again.content.decode()
    assert "already been used" in html
    assert 'action="/sign-in/"' in html
    assert CUSTOMER_SESSION_KEY not in other.session
    assert other.get(f"/sign-in/{token}/").status_code == 410


def test_an_expired_link_explains_itself(client, vendor):
    ask_link(client, BEN.email)
    token = token_from_mail(mail.outbox[0])
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for response in (client.get(f"/sign-in/{token}/"), client.post(f"/sign-in/{token}/")):
        assert response.status_code == 410
        assert "expired" in response.content.decode()
    assert SignInLink.objects.get().used_at is None
    assert CUSTOMER_SESSION_KEY not in client.session


def test_links_expire_after_the_configured_minutes(client, vendor, settings):
    settings.SIGN_IN_LINK_MINUTES = 15
    before = timezone.now()
    ask_link(client, BEN.email)
    link = SignInLink.objects.get()
    assert timedelta(minutes=15) <= link.expires_at - before <= timedelta(minutes=15, seconds=5)
    assert not link.is_expired(now=link.expires_at - timedelta(seconds=1))
    assert link.is_expired(now=link.expires_at)


def test_an_unknown_token_is_not_found(client, vendor):
    response = client.post("/sign-in/made-up-token/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_only_a_hash_of_the_token_is_stored(client, vendor):
    ask_link(client, BEN.email)
    token = token_from_mail(mail.outbox[0])
    link = SignInLink.objects.get()
    assert token not in link.token_hash
    assert len(link.token_hash) == 64


def test_a_link_is_single_use_even_when_consumed_twice(vendor):
    _link, raw = SignInLink.issue(kind=SignInLink.Kind.EMAIL, vendor_customer_id=BEN.vendor_id, minutes=15)
    first = SignInLink.consume(raw, kind=SignInLink.Kind.EMAIL)
    second = SignInLink.consume(raw, kind=SignInLink.Kind.EMAIL)
    assert first[1] == "ok"
    assert second[1] == "used"
    assert SignInLink.consume(raw, kind=SignInLink.Kind.PORTAL)[1] == "unknown", "an e-mail token is no portal token"


def test_at_most_three_mails_per_address_per_link_lifetime(client, vendor):
    for _ in range(5):
        assert ask_link(client, "Ben.Carter@Example.com").status_code == 200
    assert len(mail.outbox) == 3


def test_signing_in_rotates_the_session_id(client, vendor):
    client.get("/sign-in/")
    session = client.session
    session["anything"] = 1
    session.save()
    client.cookies["sessionid"] = session.session_key
    before = session.session_key
    ask_link(client, BEN.email)
    token = token_from_mail(mail.outbox[0])
    client.post(f"/sign-in/{token}/")
    assert client.cookies["sessionid"].value != before


def test_next_page_is_kept_through_the_link(client, vendor):
    ask_link(client, ANNA.email, next="/subscriptions/68574751/")
    token = token_from_mail(mail.outbox[0])
    assert client.post(f"/sign-in/{token}/")["Location"] == "/subscriptions/68574751/"


def test_next_page_elsewhere_is_ignored(client, vendor):
    ask_link(client, ANNA.email, next="https://evil.example.net/")
    token = token_from_mail(mail.outbox[0])
    assert client.post(f"/sign-in/{token}/")["Location"] == "/"
