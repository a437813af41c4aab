"""What each cast member sees on "My subscriptions" and on each subscription page."""

import re

import pytest

from tests.cast import DEACTIVATED, sign_in

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's visible text, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def main_html(response) -> str:
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


def test_home_sends_strangers_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/"


def test_anna_sees_her_two_active_subscriptions_and_the_deactivated_one(client, anna):
    sign_in(client, anna)
    response = client.get("/")
    assert response.status_code == 200
    page = text(response)
    assert page.count("Active") == 2
    assert "Cloudify M S68574751 Active 10 23 May 2026 $800.00" in page
    assert "Cloudify Storage A S68841753 Active 1 13 May 2027 $1,200.00" in page
    assert "Cloudify M S68574799 Deactivated 2" in page
    html = main_html(response)
    assert 'href="/subscriptions/68574751/"' in html
    assert 'href="/subscriptions/68841753/"' in html
    assert response.content.decode().count("<h1") == 1


def test_ben_sees_his_one_subscription(client, ben):
    sign_in(client, ben)
    page = text(client.get("/"))
    assert "Cloudify M S68900102 Active 3 10 May 2026 €225.00" in page
    assert "S68574751" not in page


def test_carla_sees_that_there_is_nothing(client, carla):
    sign_in(client, carla)
    response = client.get("/")
    assert response.status_code == 200
    assert "There are no subscriptions for your account." in text(response)


def test_anna_monthly_subscription_page(client, anna):
    sign_in(client, anna)
    response = client.get("/subscriptions/68574751/")
    assert response.status_code == 200
    page = text(response)
    assert "Cloudify M S68574751" in page
    assert "Status Active" in page
    assert "Started 23 April 2026" in page
    assert "Renewal Automatic" in page
    assert "Billing interval Monthly" in page
    assert "Next billing date 23 May 2026" in page
    assert "Currency USD" in page
    assert "Net $672.27 VAT $127.73 Total (gross) $800.00" in page
    assert "Cloudify M 10 Active 23 April 2026" in page
    assert "Type Visa" in page
    assert "ending in 765T" in page
    assert "Expires December 2027" in page
    assert "expires before the next billing date" not in page
    assert "not active" not in page


def test_anna_annual_subscription_page(client, anna):
    sign_in(client, anna)
    page = text(client.get("/subscriptions/68841753/"))
    assert "Cloudify Storage A S68841753" in page
    assert "Billing interval Yearly" in page
    assert "Next billing date 13 May 2027" in page
    assert "Net $1,008.40 VAT $191.60 Total (gross) $1,200.00" in page
    assert "Cloudify Storage A 1 Active 13 May 2026" in page


def test_ben_is_told_that_his_card_expired(client, ben):
    sign_in(client, ben)
    page = text(client.get("/subscriptions/68900102/"))
    assert "Net €225.00 VAT €0.00 Total (gross) €225.00" in page
    assert "Type MasterCard" in page
    assert "Expired April 2026" in page
    assert "This card expired at the end of April 2026." in page


def test_an_inactive_subscription_says_so_and_offers_no_changes(client, anna):
    sign_in(client, anna)
    response = client.get(f"/subscriptions/{DEACTIVATED}/")
    assert response.status_code == 200
    page = text(response)
    assert "Deactivated. This subscription has ended and is no longer billed." in page
    assert "This subscription is not active, so it cannot be changed here." in page
    assert "Renewal Off" in page


def test_pages_have_landmarks_and_one_heading(client, anna):
    sign_in(client, anna)
    for url in ("/", "/subscriptions/68574751/", "/sign-in/"):
        html = client.get(url).content.decode()
        assert html.count("<h1") == 1, url
        for landmark in ("<header", "<main", "<footer", "<nav"):
            assert landmark in html, (url, landmark)
        assert 'href="#main"' in html
        assert '<label for="language">' in html
        assert "/static/css/site.css" in html
        assert "cdn" not in html.lower()


def test_the_vendor_is_asked_once_per_subscription_page(client, anna, vendor_calls):
    sign_in(client, anna)
    client.get("/subscriptions/68574751/")
    assert vendor_calls.methods() == ["getsubscriptionsforcustomer"]  # the list, which brings the subscription too
    client.get("/subscriptions/68574751/")
    assert len(vendor_calls) == 1


def test_signed_in_pages_show_a_sign_out_button(client, anna):
    sign_in(client, anna)
    html = client.get("/").content.decode()
    assert '<form method="post" action="/sign-out/"' in html
