"""The catalog is configured in the admin, with validation."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from subscriptions.models import AddOn, CatalogProduct, CotermOffer, PlanSwitch


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


def _product_form(vendor_product_id: int, instance: CatalogProduct | None = None):
    from django.forms.models import model_to_dict

    from subscriptions.admin.changes import CatalogProductForm

    template = CatalogProduct.objects.get(vendor_product_id=293160)
    data = {k: v for k, v in model_to_dict(template).items() if v is not None and k != "id"}
    return CatalogProductForm(data={**data, "vendor_product_id": vendor_product_id}, instance=instance)


def test_product_ids_unknown_to_the_vendor_are_refused_on_save(vendor, catalog, settings):
    settings.CATALOG_PROBE_SUBSCRIPTION_ID = 68574751
    CatalogProduct.objects.filter(vendor_product_id=293161).delete()
    unknown = _product_form(999_999)
    assert not unknown.is_valid()
    assert "does not know product 999999" in unknown.errors["vendor_product_id"][0]
    assert _product_form(293161).is_valid(), "the vendor knows Cloudify Backup"


def test_product_check_failing_upstream_asks_to_try_again(vendor, catalog, settings):
    settings.CATALOG_PROBE_SUBSCRIPTION_ID = 68574751
    vendor.fault("addsubscriptionitem", count=3)
    form = _product_form(293161)
    assert not form.is_valid()
    assert "could not be checked with the vendor now" in form.errors["vendor_product_id"][0]


def test_without_a_probe_subscription_nothing_is_checked(vendor, catalog, settings):
    settings.CATALOG_PROBE_SUBSCRIPTION_ID = 0
    assert _product_form(999_999).is_valid()


def test_plan_switches_are_edited_inline_and_checked_with_the_vendor(vendor, catalog, settings):
    from django.forms import modelform_factory

    from subscriptions.admin.changes import PlanSwitchForm, PlanSwitchInline

    form = modelform_factory(PlanSwitch, form=PlanSwitchForm, fields=[*PlanSwitchInline.fields, "product"])
    settings.CATALOG_PROBE_SUBSCRIPTION_ID = 68574751
    product = CatalogProduct.objects.get(vendor_product_id=293160)
    fields = {"product": product.pk, "to_name": "Nowhere", "when": "both", "label": "", "description": ""}
    unknown = form(data={**fields, "to_product_id": 999_999, "active": "on"})
    assert not unknown.is_valid()
    assert "does not know product 999999" in unknown.errors["to_product_id"][0]
    again = form(data={**fields, "to_product_id": 293170, "to_name": "Cloudify L 2", "active": "on"})
    assert not again.is_valid()  # one switch per plan and product
    assert form(data={**fields, "to_product_id": 293162, "active": "on"}).is_valid(), "the vendor knows the product"


def test_the_product_page_shows_plan_switches_and_the_new_settings(admin_client, catalog):
    product = CatalogProduct.objects.get(vendor_product_id=293160)
    page = admin_client.get(reverse("admin:subscriptions_catalogproduct_change", args=[product.pk])).content.decode()
    assert "Cloudify S" in page and "Cloudify L" in page
    for name in ("min_total_seats", "reduce_offered", "cancellation_offered", "retain_with_cheaper_plan"):
        assert f'name="{name}"' in page, name
    assert 'name="addons-0-removable"' in page
