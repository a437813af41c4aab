"""The cancellation page: the ways to stay the catalog enables, then the reason, then the usual quote."""

import re

import pytest
from django.utils import translation

from subscriptions.catalog import catalog_changed
from subscriptions.models import CatalogProduct, PlanSwitch, Quote
from tests.cast import CLOUDIFY_L, CLOUDIFY_M, CLOUDIFY_S, DEACTIVATED, MONTHLY, sign_in
from tests.changes.flows import preview
from tests.web.test_pages import main_html, text

pytestmark = pytest.mark.django_db

CANCEL = f"/subscriptions/{MONTHLY}/cancel/"


def test_the_subscription_page_links_to_the_cancellation_page(anna_client):
    html = main_html(anna_client.get(f"/subscriptions/{MONTHLY}/"))
    assert f'href="{CANCEL}" id="cancel-link"' in html
    assert "Cancel subscription" in html
    assert "It stays active until 23 May 2026; nothing is charged after that." in text(
        anna_client.get(f"/subscriptions/{MONTHLY}/")
    )


def test_the_cancellation_page_offers_fewer_seats_first_then_asks_why(anna_client):
    response = anna_client.get(CANCEL)
    assert response.status_code == 200
    page = text(response)
    assert "Cancel Cloudify M S68574751" in page
    assert "the subscription stays active until 23 May 2026, is not charged again, and then ends" in page
    html = main_html(response)
    retention = html.split('id="retention"')[1].split("</section>")[0]
    assert 'name="kind" value="reduce"' in retention
    assert 'min="1" max="9"' in retention
    assert 'hx-target="#cancel-panel"' in retention
    assert 'name="kind" value="switch_now"' not in retention  # a way to stay charges nothing now
    assert f'value="{CLOUDIFY_L}"' not in retention  # Cloudify L is not cheaper: not a way to stay
    reasons = html.split('id="cancel-reason"')[1].split("</section>")[0]
    assert reasons.count('type="radio" name="reason_code"') == 8
    assert 'value="too_expensive"' in reasons
    assert 'maxlength="1000"' in reasons
    assert 'name="kind" value="cancel"' in reasons
    assert page.index("Would one of these suit you better?") < page.index("Why are you cancelling?")


def test_a_cheaper_plan_is_a_way_to_stay(anna_client):
    cloudify_m = CatalogProduct.objects.get(vendor_product_id=CLOUDIFY_M)
    PlanSwitch.objects.update_or_create(
        product=cloudify_m,
        to_product_id=CLOUDIFY_S,
        defaults={"to_name": "Cloudify S", "when": "billing_date", "cheaper": True, "label": ""},
    )
    catalog_changed()
    html = main_html(anna_client.get(CANCEL))
    retention = html.split('id="retention"')[1].split("</section>")[0]
    assert 'name="kind" value="switch_later"' in retention
    assert f'name="product_id" value="{CLOUDIFY_S}"' in retention
    assert "Switch to Cloudify S at the next billing date" in retention
    assert f'value="{CLOUDIFY_L}"' not in retention  # the dearer plan is no way to stay


def test_no_retention_step_when_the_catalog_turns_it_off(anna_client):
    CatalogProduct.objects.filter(vendor_product_id=CLOUDIFY_M).update(
        retain_with_fewer_seats=False, retain_with_cheaper_plan=False
    )
    catalog_changed()
    html = main_html(anna_client.get(CANCEL))
    assert 'id="retention"' not in html
    assert 'id="cancel-reason"' in html


def test_a_product_without_cancellation_offers_no_link_and_the_page_says_so(anna_client):
    CatalogProduct.objects.filter(vendor_product_id=CLOUDIFY_M).update(cancellation_offered=False)
    catalog_changed()
    assert 'id="cancel-link"' not in main_html(anna_client.get(f"/subscriptions/{MONTHLY}/"))
    page = text(anna_client.get(CANCEL))
    assert "This subscription cannot be cancelled here." in page
    assert "Why are you cancelling?" not in page


def test_an_inactive_subscription_cannot_be_cancelled(anna_client):
    page = text(anna_client.get(f"/subscriptions/{DEACTIVATED}/cancel/"))
    assert "This subscription cannot be cancelled here." in page


def test_another_customers_subscription_is_not_found(client, otto, anna, vendor, catalog):
    sign_in(client, otto)
    assert client.get(CANCEL).status_code == 404


def test_a_reason_too_long_is_shown_on_the_page_and_nothing_is_quoted(anna_client):
    response, quote = preview(anna_client, MONTHLY, kind="cancel", reason_code="other", reason_text="x" * 1001)
    assert response.status_code == 400
    assert quote is None
    html = main_html(response)
    assert 'id="reason-text-error"' in html
    assert re.search(r'value="other"[^>]*checked', html)
    assert Quote.objects.count() == 0


def test_an_unknown_reason_is_refused(anna_client):
    response, quote = preview(anna_client, MONTHLY, kind="cancel", reason_code="because")
    assert response.status_code == 400
    assert quote is None


def test_the_cancellation_page_in_german(anna_client):
    with translation.override("de"):
        page = text(anna_client.get(CANCEL, HTTP_ACCEPT_LANGUAGE="de"))
    assert "Cloudify M kündigen" in page
    assert "Passt eines davon besser zu Ihnen?" in page
    assert "Warum kündigen Sie?" in page
    assert "Weiter zur Kündigung" in page
    assert "bis zum 23. Mai 2026 aktiv" in page
