"""The "Scheduled" section: what the vendor will change later, each with an Undo that starts the usual change."""

import pytest
from django.utils import translation

from tests.cast import MONTHLY, sign_in
from tests.web.test_pages import main_html, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def cancelling(scenario):
    """Anna's monthly subscription with its automatic renewal off (cancelled at the end of the period)."""
    scenario["subscriptions"][0]["renewal_type"] = "Manual"
    return scenario


def test_nothing_scheduled_no_section(anna_client):
    assert 'id="scheduled"' not in main_html(anna_client.get(f"/subscriptions/{MONTHLY}/"))


def test_a_cancelling_subscription_says_when_it_ends_and_offers_to_resume(cancelling, client, anna, catalog):
    sign_in(client, anna)
    response = client.get(f"/subscriptions/{MONTHLY}/")
    page = text(response)
    assert "Ends on 23 May 2026" in page
    overview = main_html(response).split('id="overview-title"')[1].split("</section>")[0]
    assert "Next billing date" not in overview
    assert '<dd id="overview-ends-on">23 May 2026</dd>' in overview
    assert "None: the subscription ends on 23 May 2026 and is not charged again." in page
    html = main_html(response)
    scheduled = html.split('id="scheduled"')[1].split("</section>")[0]
    assert 'name="kind" value="resume"' in scheduled
    assert "Resume the subscription" in scheduled
    offers = html.split('id="change-offers-')[1]
    assert 'id="cancel-link"' not in offers
    assert 'value="resume"' not in offers  # the resume sits beside what it undoes, not among the offers
    assert 'value="increase"' not in offers


def test_a_cancelling_subscription_in_german(cancelling, client, anna, catalog):
    sign_in(client, anna)
    with translation.override("de"):
        page = text(client.get(f"/subscriptions/{MONTHLY}/", HTTP_ACCEPT_LANGUAGE="de"))
    assert "Geplant" in page
    assert "Endet am 23. Mai 2026" in page
    assert "Abonnement fortsetzen" in page


def test_the_list_says_when_a_cancelling_subscription_ends(cancelling, client, anna, catalog):
    sign_in(client, anna)
    page = text(client.get("/"))
    assert "Cloudify M S68574751 Active 10 Ends on 23 May 2026 —" in page
    assert "Cloudify Storage A S68841753 Active 1 13 May 2027 $1,200.00" in page
