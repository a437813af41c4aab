"""The benchmark's offered load and how it tells a fresh page from a stale or failed one."""

import httpx
import pytest

from bench.customers import cookie_header, cookies_from, page_kind
from bench.load import schedule


def test_the_schedule_is_open_loop_at_the_rate_taking_turns_over_servers_and_pages():
    pages = [("/", {"sessionid": "a"}), ("/subscriptions/1/", {"sessionid": "a"}), ("/", {"sessionid": "b"})]
    visits = schedule(rate=9, seconds=30, servers=["http://one", "http://two"], pages=pages)
    assert len(visits) == 270
    assert [visit.at for visit in visits[:4]] == [0, 1 / 9, 2 / 9, 3 / 9]
    assert visits[-1].at == pytest.approx(269 / 9)
    assert [visit.base_url for visit in visits[:3]] == ["http://one", "http://two", "http://one"]
    assert [(visit.path, visit.cookies["sessionid"]) for visit in visits[:4]] == [
        ("/", "a"),
        ("/subscriptions/1/", "a"),
        ("/", "b"),
        ("/", "a"),
    ]


@pytest.mark.parametrize(
    ("status", "text", "kind"),
    [
        (200, '<main id="main">S68574751</main>', "fresh"),
        (200, '<main id="main" data-stale="true">as of 14:02</main>', "stale"),
        (503, '<section id="vendor-failure">', "failed"),
        (200, '<section class="notice" id="vendor-failure">', "failed"),
        (302, "", "failed"),
        (500, "", "failed"),
    ],
)
def test_a_page_is_fresh_stale_or_failed(status, text, kind):
    assert page_kind(status=status, text=text) == kind


def test_secure_cookies_are_kept_and_sent_back_by_hand():
    response = httpx.Response(
        200,
        headers=[
            ("Set-Cookie", "sessionid=abc; HttpOnly; Path=/; SameSite=Lax; Secure"),
            ("Set-Cookie", "csrftoken=xyz; Path=/; SameSite=Lax; Secure"),
        ],
    )
    cookies = cookies_from(response)
    assert cookies == {"sessionid": "abc", "csrftoken": "xyz"}
    assert cookie_header(cookies) == "sessionid=abc; csrftoken=xyz"
