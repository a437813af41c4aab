import pytest
from django.core.management import call_command

from subscriptions.models import CatalogProduct


@pytest.mark.django_db
def test_demo_setup_loads_the_demo_once_and_keeps_changes(settings, capsys):
    from sandbox.models import Subscription as VendorSubscription

    settings.DEBUG = True
    call_command("demo_setup")
    printed = capsys.readouterr().out
    assert "anna.schmidt@example.com" in printed
    assert VendorSubscription.objects.filter(id=68574751).exists()
    products = CatalogProduct.objects.count()
    assert products > 0

    VendorSubscription.objects.filter(id=68574751).update(status=2)
    CatalogProduct.objects.first().delete()
    call_command("demo_setup")
    assert VendorSubscription.objects.get(id=68574751).status == 2
    assert CatalogProduct.objects.count() == products - 1


@pytest.mark.django_db
def test_demo_setup_refuses_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_setup")
