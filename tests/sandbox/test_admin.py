"""The sandbox's tables show in the admin for the demo, and cannot be edited there."""

import pytest
from django.urls import reverse

from sandbox.models import Subscription

MODELS = ["product", "customer", "subscription", "purchase", "outboxemail", "fault", "sandboxclock"]


@pytest.mark.parametrize("model", MODELS)
def test_changelists_render(admin_client, demo, model):
    assert admin_client.get(reverse(f"admin:sandbox_{model}_changelist")).status_code == 200


def test_a_subscription_is_read_only(admin_client, demo):
    url = reverse("admin:sandbox_subscription_change", args=[68574751])

    page = admin_client.get(url)

    assert page.status_code == 200
    assert b"Cloudify M" in page.content
    assert admin_client.post(url, {"currency": "EUR"}).status_code == 403
    assert Subscription.objects.get(pk=68574751).currency == "USD"
