"""Which changes a subscription offers, from the catalog; and the offers fragment."""

from django.template.loader import render_to_string

from subscriptions.catalog import offers_for
from subscriptions.cleverbridge import get_client
from subscriptions.models import ADDING_KINDS, CatalogProduct
from tests.cast import BACKUP, DEACTIVATED, MONTHLY, PRIORITY_SUPPORT, STORAGE_A, STORAGE_ENCRYPTION, YEARLY


def test_monthly_subscription_offers_seats_and_two_add_ons(vendor, catalog):
    offers = [offer for offer in offers_for(get_client().get_subscription(MONTHLY)) if offer.kind in ADDING_KINDS]
    kinds = [(offer.kind, offer.running_no, offer.new_product_id) for offer in offers]
    assert kinds == [("increase", 1, 293160), ("addon", None, BACKUP), ("addon", None, PRIORITY_SUPPORT)]
    seats = offers[0]
    assert (seats.current_quantity, seats.min_quantity, seats.max_quantity) == (10, 1, 50)


def test_storage_offers_the_second_seat_and_encryption(vendor, catalog):
    offers = [offer for offer in offers_for(get_client().get_subscription(YEARLY)) if offer.kind in ADDING_KINDS]
    assert [(offer.kind, offer.new_product_id, offer.total_quantity) for offer in offers] == [
        ("coterm", STORAGE_A, 2),
        ("addon", STORAGE_ENCRYPTION, 1),
    ]
    assert offers[0].label == "Second seat at 600.00/year"


def test_inactive_subscription_offers_nothing(vendor, catalog):
    assert offers_for(get_client().get_subscription(DEACTIVATED)) == []


def test_unconfigured_products_offer_nothing(vendor):
    assert offers_for(get_client().get_subscription(MONTHLY)) == []


def test_seat_limit_shrinks_towards_the_total(vendor, catalog):
    CatalogProduct.objects.filter(vendor_product_id=293160).update(max_total_seats=20)
    seats = offers_for(get_client().get_subscription(MONTHLY))[0]
    assert seats.max_quantity == 10


def test_offers_fragment_has_forms_that_work_without_javascript(rf, vendor, catalog):
    subscription = get_client().get_subscription(MONTHLY)
    request = rf.get("/")
    html = render_to_string(
        "changes/_offers.html", {"subscription": subscription, "offers": offers_for(subscription)}, request=request
    )
    assert f'action="/subscriptions/{MONTHLY}/changes/"' in html
    assert f'hx-post="/subscriptions/{MONTHLY}/changes/"' in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert "Cloudify Backup" in html and "Cloudify Priority Support" in html
    assert 'max="50"' in html


def test_subscription_page_shows_its_offers(anna_client):
    page = anna_client.get(f"/subscriptions/{MONTHLY}/").content.decode()
    assert "Change your subscription" in page
    assert 'name="kind" value="increase"' in page
    assert page.count('name="kind" value="addon"') == 2


def test_inactive_subscription_page_offers_no_change(anna_client):
    page = anna_client.get(f"/subscriptions/{DEACTIVATED}/").content.decode()
    assert "This subscription is not active" in page
    assert 'name="kind"' not in page
