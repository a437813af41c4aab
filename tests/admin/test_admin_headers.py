"""The support console under the same Content-Security-Policy as the customer pages, with no inline code of its own."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.admin.otp import device_for, verified
from tests.cast import MONTHLY
from tests.changes.flows import preview
from tests.web.test_headers import directives, inline_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(roles) -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")
    return verified(user)


def console_pages(anna) -> dict[str, str]:
    """Every model's list in the console, and the pages of our own that add to Django's."""
    pages = {
        f"{model._meta.app_label}.{model._meta.model_name} list": reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        for model in admin.site._registry
    }
    pages["index"] = reverse("admin:index")
    pages["customer"] = reverse("admin:subscriptions_customer_change", args=[anna.pk])
    pages["find a customer"] = reverse("admin:subscriptions_customer_find")
    pages["ledger export"] = reverse("admin:subscriptions_ledger_export")
    pages["prepare a change"] = reverse("admin:subscriptions_customer_prepare", args=[anna.pk])
    device = device_for(get_user_model().objects.get(username="root"))
    pages["authenticator QR code"] = reverse("admin:otp_totp_totpdevice_config", args=[device.pk])
    return pages


def test_console_pages_have_the_policy_and_no_inline_code(superuser_client, anna, vendor, catalog):
    found = {}
    for name, url in console_pages(anna).items():
        response = superuser_client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        assert directives(response)["script-src"] == ["'self'"], name
        found[name] = inline_code(response.content.decode())
    assert len(found) > 15
    assert {name: what for name, what in found.items() if what} == {}


def test_the_sign_in_page_has_the_policy_and_no_inline_code(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert directives(response)["style-src"] == ["'self'"]
    assert inline_code(response.content.decode()) == []


def test_the_console_stylesheet_is_on_every_console_page(client):
    assert "css/admin.css" in client.get(reverse("admin:login")).content.decode()


def test_a_change_and_its_ledger_have_no_inline_code(superuser_client, vendor, catalog, anna_client):
    _response, quote = preview(anna_client, MONTHLY, kind="increase", running_no=1, quantity=15)
    response = superuser_client.get(reverse("admin:subscriptions_quote_change", args=[quote.pk]))
    assert response.status_code == 200
    assert inline_code(response.content.decode()) == []
