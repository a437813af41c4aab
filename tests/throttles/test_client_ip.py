"""Which address a request is counted under: REMOTE_ADDR, or the one our own proxies saw."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from subscriptions.throttles import client_ip


def request_from(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_proxies_a_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("198.51.100.4", "192.0.2.1")) == "198.51.100.4"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "10.9.9.9, 192.0.2.1", "192.0.2.1"),  # the client wrote the left entry itself
        (2, "10.9.9.9, 192.0.2.1, 172.16.0.2", "192.0.2.1"),
        (1, "2001:db8:0:0::1", "2001:db8::1"),
    ],
)
def test_the_address_the_outermost_trusted_proxy_saw(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request_from("172.16.0.1", forwarded)) == expected


@pytest.mark.parametrize("forwarded", [None, "", "192.0.2.1", "not-an-address, 192.0.2.1"])
def test_a_request_that_did_not_pass_every_proxy_counts_under_remote_addr(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("172.16.0.1", forwarded)) == "172.16.0.1"


def test_a_page_counts_the_forwarded_address(client, settings, db):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SIGN_IN_REQUESTS_PER_IP = 1
    client.post("/sign-in/", {"email": "x"}, REMOTE_ADDR="172.16.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1")

    assert (
        client.post("/sign-in/", {"email": "x"}, REMOTE_ADDR="172.16.0.1", HTTP_X_FORWARDED_FOR="192.0.2.2").status_code
        == 200
    )
    assert (
        client.post("/sign-in/", {"email": "x"}, REMOTE_ADDR="172.16.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code
        == 429
    )
