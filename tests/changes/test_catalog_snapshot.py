"""The catalog is read from a snapshot in the shared cache; a save in the admin reaches every process at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subscriptions import catalog as offers
from subscriptions.models import AddOn, CatalogProduct
from tests.cast import BACKUP, CLOUDIFY_M, MONTHLY


def _catalog_queries(queries) -> list[str]:
    tables = ("subscriptions_catalogproduct", "subscriptions_addon", "subscriptions_cotermoffer")
    return [q["sql"] for q in queries if any(table in q["sql"] for table in tables)]


def _offered(anna_client) -> str:
    return anna_client.get(f"/subscriptions/{MONTHLY}/").content.decode()


@pytest.mark.django_db
def test_a_warm_catalog_costs_no_query_per_page(anna_client, vendor, catalog):
    _offered(anna_client)
    with CaptureQueriesContext(connection) as queries:
        page = _offered(anna_client)
    assert "Cloudify Backup" in page
    assert _catalog_queries(queries) == []


@pytest.mark.django_db
def test_a_saved_change_is_offered_on_the_next_page(anna_client, vendor, catalog):
    assert "Add Cloudify Backup" in _offered(anna_client)
    backup = AddOn.objects.get(product__vendor_product_id=CLOUDIFY_M, vendor_product_id=BACKUP)
    backup.active = False
    backup.save()
    assert "Add Cloudify Backup" not in _offered(anna_client)
    CatalogProduct.objects.get(vendor_product_id=CLOUDIFY_M).addons.all().delete()
    assert "Add Cloudify Priority Support" not in _offered(anna_client)


@pytest.mark.django_db
def test_a_snapshot_built_during_a_save_is_never_read(vendor, catalog, monkeypatch):
    """A reader that took the generation before an agent's save files its snapshot under the old number."""
    stale = offers._snapshot_from_database()
    generation = offers.cache.get_or_set(offers.CATALOG_GENERATION_KEY, 1, timeout=None)
    backup = AddOn.objects.get(product__vendor_product_id=CLOUDIFY_M, vendor_product_id=BACKUP)
    backup.active = False
    backup.save()
    offers.cache.set(offers.CATALOG_SNAPSHOT_KEY.format(generation=generation), stale)
    entry = offers._catalog({CLOUDIFY_M})[CLOUDIFY_M]
    assert not next(a for a in entry.addons if a.vendor_product_id == BACKUP).active
