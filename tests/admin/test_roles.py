"""Who may do what in the console: support agent, catalog manager, staff without a role, non-staff."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from subscriptions.models import CatalogProduct
from subscriptions.roles import CATALOG_MANAGER, SUPPORT_AGENT
from tests.admin.otp import verified

pytestmark = pytest.mark.django_db

READ = ["customer", "quote", "consent", "ledgerentry", "catalogproduct", "assistedchange", "signinlink"]


def test_setup_staff_roles_is_idempotent_and_says_what_it_did():
    first = call_command("setup_staff_roles")
    second = call_command("setup_staff_roles")
    assert "Support agent" in first and "created" in first
    assert "updated" in second
    assert Group.objects.filter(name__in=[SUPPORT_AGENT, CATALOG_MANAGER]).count() == 2
    agent_perms = set(Group.objects.get(name=SUPPORT_AGENT).permissions.values_list("codename", flat=True))
    manager_perms = set(Group.objects.get(name=CATALOG_MANAGER).permissions.values_list("codename", flat=True))
    assert {"prepare_change", "export_ledger", "view_live_subscription", "view_ledgerentry"} <= agent_perms
    assert not {perm for perm in agent_perms if perm.startswith(("add_", "change_", "delete_"))}
    assert "view_portalkey" not in agent_perms
    assert agent_perms < manager_perms
    assert {"add_catalogproduct", "change_cotermoffer", "delete_addon"} <= manager_perms


@pytest.mark.parametrize("model", READ)
def test_an_agent_reads_the_records(agent_client, model):
    assert agent_client.get(reverse(f"admin:subscriptions_{model}_changelist")).status_code == 200


def test_an_agent_cannot_edit_the_catalog_or_see_keys_and_users(agent_client, catalog):
    product = CatalogProduct.objects.first()
    assert agent_client.get(reverse("admin:subscriptions_catalogproduct_add")).status_code == 403
    page = agent_client.get(reverse("admin:subscriptions_catalogproduct_change", args=[product.pk]))
    assert page.status_code == 200 and b'name="name"' not in page.content  # read-only view
    post = agent_client.post(reverse("admin:subscriptions_catalogproduct_change", args=[product.pk]), {"name": "X"})
    assert post.status_code == 403
    for name in ("subscriptions_portalkey", "auth_user", "otp_totp_totpdevice", "sandbox_subscription"):
        assert agent_client.get(reverse(f"admin:{name}_changelist")).status_code == 403


def test_a_catalog_manager_edits_the_catalog(manager_client, catalog):
    product = CatalogProduct.objects.get(vendor_product_id=293160)
    data = {
        "vendor_product_id": 293160,
        "name": "Cloudify M (renamed)",
        "seats_offered": "on",
        "min_seats_per_change": 1,
        "max_seats_per_change": 40,
        "max_total_seats": 400,
        "min_total_seats": 2,
        "plan_switches-TOTAL_FORMS": 0,
        "plan_switches-INITIAL_FORMS": 0,
        "coterm_offers-TOTAL_FORMS": 0,
        "coterm_offers-INITIAL_FORMS": 0,
        "addons-TOTAL_FORMS": 0,
        "addons-INITIAL_FORMS": 0,
    }
    response = manager_client.post(reverse("admin:subscriptions_catalogproduct_change", args=[product.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    product.refresh_from_db()
    assert (product.name, product.max_seats_per_change, product.min_total_seats) == ("Cloudify M (renamed)", 40, 2)


def test_staff_without_a_role_see_nothing(roleless):
    client = verified(roleless)
    assert client.get(reverse("admin:index")).status_code == 200
    for model in READ:
        assert client.get(reverse(f"admin:subscriptions_{model}_changelist")).status_code == 403
    assert client.get(reverse("admin:subscriptions_ledger_export")).status_code == 403
    assert client.get(reverse("admin:subscriptions_customer_prepare", args=[1])).status_code == 403
