"""Every admin page needs a password AND a TOTP code: a password-only staff session is sent to log in."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.sites import site
from django.urls import reverse

from subscriptions.models import Customer
from subscriptions.staff_site import StaffAdminSite
from tests.admin.otp import current_token, device_for, password_only, verified


def _admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    urls += [
        reverse("admin:subscriptions_customer_find"),
        reverse("admin:subscriptions_ledger_export"),
        reverse("admin:subscriptions_customer_prepare", args=[1]),
        reverse("admin:subscriptions_customer_change", args=[1]),
    ]
    return urls


def test_every_registered_model_admin_is_on_the_two_factor_site():
    assert isinstance(admin.site, StaffAdminSite)
    assert len(site._registry) > 10
    for model, model_admin in site._registry.items():
        assert isinstance(model_admin.admin_site, StaffAdminSite), model
    labels = {model._meta.app_label for model in site._registry}
    assert {"auth", "otp_totp", "subscriptions", "sandbox"} <= labels


@pytest.mark.django_db
def test_a_password_only_session_is_refused_on_every_admin_url(admin_user):
    Customer.objects.create(pk=1, vendor_id=1, email="x@example.com")
    client = password_only(admin_user)
    for url in _admin_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


@pytest.mark.django_db
def test_a_verified_session_gets_through_on_every_admin_url(admin_user, vendor):
    Customer.objects.create(pk=1, vendor_id=159215775, email="anna.schmidt@example.com")
    client = verified(admin_user)
    for url in _admin_urls():
        response = client.get(url)
        # Read-only models refuse their add page (403); nothing sends a verified superuser to log in.
        assert response.status_code in (200, 403), (url, response.status_code)
        if "/add/" not in url:
            assert response.status_code == 200, url


@pytest.mark.django_db
def test_the_login_form_asks_for_the_code_and_accepts_a_current_one(admin_user):
    from django.test import Client

    device = device_for(admin_user)
    client = Client()
    page = client.get(reverse("admin:login"))
    assert b"otp_token" in page.content
    wrong = client.post(
        reverse("admin:login"),
        {"username": "admin", "password": "password", "otp_device": device.persistent_id, "otp_token": "000000"},
    )
    assert wrong.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302
    device.refresh_from_db()
    device.throttle_reset()  # a failed code throttles the device for a moment
    right = client.post(
        reverse("admin:login") + "?next=/admin/",
        {
            "username": "admin",
            "password": "password",
            "otp_device": device.persistent_id,
            "otp_token": current_token(device),
        },
    )
    assert right.status_code == 302, right.context["form"].errors
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_non_staff_never_reach_the_admin(django_user_model):
    user = django_user_model.objects.create_user("customer-like", "c@example.com", "pw")
    client = verified(user)
    response = client.get(reverse("admin:subscriptions_quote_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
