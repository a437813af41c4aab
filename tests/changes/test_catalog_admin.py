"""The catalog is configured in the admin, with validation."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from subscriptions.models import AddOn, CatalogProduct, CotermOffer


def test_demo_catalog_fixture_covers_the_demo_products(catalog):
    products = {p.vendor_product_id: p for p in CatalogProduct.objects.all()}
    assert {293160, 294835} <= set(products)
    assert set(products[293160].addons.values_list("vendor_product_id", flat=True)) == {293161, 293162}
    assert set(products[294835].addons.values_list("vendor_product_id", flat=True)) == {294836}
    offer = products[294835].coterm_offers.get()
    assert (offer.target_product_id, offer.add_seats, offer.max_total) == (294835, 1, 2)


def test_validation_of_limits_and_offers(catalog):
    product = CatalogProduct(vendor_product_id=1, name="X", min_seats_per_change=5, max_seats_per_change=2)
    with pytest.raises(ValidationError) as problem:
        product.full_clean()
    assert "max_seats_per_change" in problem.value.message_dict
    storage = CatalogProduct.objects.get(vendor_product_id=294835)
    with pytest.raises(ValidationError):
        CotermOffer(product=storage, target_product_id=294835, add_seats=1, max_total=1, label="x").full_clean()
    with pytest.raises(ValidationError):
        AddOn(product=storage, vendor_product_id=294835, name="itself").full_clean()


def test_admin_pages_render(admin_client, catalog):
    product = CatalogProduct.objects.get(vendor_product_id=293160)
    assert admin_client.get(reverse("admin:subscriptions_catalogproduct_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:subscriptions_catalogproduct_change", args=[product.pk]))
    assert page.status_code == 200
    assert b"Cloudify Backup" in page.content
    for name in ("quote", "consent"):
        assert admin_client.get(reverse(f"admin:subscriptions_{name}_changelist")).status_code == 200
