"""Sign-in throttles at the page: an IP over its limit waits (429); an address over its share learns nothing.

Neither throttled request calls the vendor or sends mail.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.cast import ANNA, CARLA

pytestmark = pytest.mark.django_db


def ask_link(client, email, ip="198.51.100.4", **extra):
    return client.post("/sign-in/", {"email": email}, REMOTE_ADDR=ip, **extra)


def page_of(response) -> str:
    """The page without its CSRF tokens, which are masked afresh on every response."""
    return re.sub(r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", response.content.decode())


def test_the_fourth_link_for_an_address_is_not_sent_and_the_page_does_not_say_so(client, vendor, vendor_calls, now):
    answers = [ask_link(client, ANNA.email, ip=f"198.51.100.{number}") for number in range(1, 5)]

    assert len(mail.outbox) == 3
    assert len(vendor_calls) == 3, "the throttled request must not ask the vendor"
    assert all(answer.status_code == 200 for answer in answers)
    unknown = ask_link(client, CARLA.email)
    assert page_of(answers[3]) == page_of(answers[0])
    assert page_of(unknown).replace(CARLA.email, ANNA.email) == page_of(answers[3])


def test_the_address_is_counted_however_it_is_written(client, vendor, vendor_calls, now):
    for written in (ANNA.email, ANNA.email.upper(), f"  {ANNA.email} "):
        ask_link(client, written)
    ask_link(client, ANNA.email.title())

    assert len(mail.outbox) == 3


def test_an_address_may_ask_again_in_the_next_window(client, vendor, vendor_calls, now, settings):
    for _ in range(4):
        ask_link(client, ANNA.email)
    now[0] += settings.SIGN_IN_THROTTLE_MINUTES * 60

    ask_link(client, ANNA.email)

    assert len(mail.outbox) == 4


def test_an_ip_over_its_limit_is_told_to_wait_and_nothing_is_looked_up(client, vendor, vendor_calls, now, settings):
    settings.SIGN_IN_REQUESTS_PER_IP = 5
    for number in range(5):
        assert ask_link(client, f"visitor{number}@example.com").status_code == 200
    calls_before = len(vendor_calls)
    now[0] += 10 * 60 + 1

    refused = ask_link(client, ANNA.email)

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(5 * 60 - 1)
    page = refused.content.decode()
    assert "Too many sign-in attempts from your network. Please try again in 5 minutes." in page
    assert ANNA.email not in page
    assert len(vendor_calls) == calls_before
    assert mail.outbox == []
    assert ask_link(client, ANNA.email, ip="198.51.100.99").status_code == 200, "another IP is not affected"


def test_the_wait_is_shown_in_german(client, vendor, now, settings):
    settings.SIGN_IN_REQUESTS_PER_IP = 1
    ask_link(client, ANNA.email)

    refused = ask_link(client, ANNA.email, HTTP_ACCEPT_LANGUAGE="de")

    assert refused.status_code == 429
    assert "Bitte versuchen Sie es in 15 Minuten erneut." in refused.content.decode()


def test_showing_the_form_is_not_counted(client, vendor, now, settings):
    settings.SIGN_IN_REQUESTS_PER_IP = 1
    for _ in range(3):
        assert client.get("/sign-in/", REMOTE_ADDR="198.51.100.4").status_code == 200

    assert ask_link(client, ANNA.email).status_code == 200
