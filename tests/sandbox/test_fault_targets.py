"""Faults `on` preview or commit: the same method, told apart by GetCustomerPricePreviewOnly."""

import pytest

from tests.sandbox.api import body_of, change
from tests.sandbox.test_faults import INCREASE, plan, quantity
from tests.sandbox.test_faults import subscription as subscription_fixture

subscription = subscription_fixture


def test_a_commit_fault_lets_previews_pass_and_hits_the_commit(api, subscription):
    plan(api, method=INCREASE, mode="error", status=500, on="commit")

    preview = api.post(INCREASE, change(subscription.pk, 5, preview=True))
    committed = api.post(INCREASE, change(subscription.pk, 5))

    assert preview.status_code == 200
    assert committed.status_code == 500 and quantity() == 10
    assert body_of(api.control("get", "faults"))["Faults"] == []


def test_a_preview_fault_lets_the_commit_pass(api, subscription):
    plan(api, method=INCREASE, mode="error", status=503, on="preview")

    assert api.post(INCREASE, change(subscription.pk, 5)).status_code == 200
    assert api.post(INCREASE, change(subscription.pk, 5, preview=True)).status_code == 503
    assert quantity() == 15


def test_any_is_the_default_and_is_listed(api, subscription):
    fault = plan(api, method="*", mode="error")

    assert fault["on"] == "any"
    assert api.get("getsubscription", subscriptionId=f"S{subscription.pk}").status_code == 500


def test_a_commit_fault_on_any_method_skips_reads(api, subscription):
    plan(api, method="*", mode="apply_then_error", on="commit")

    assert api.get("getsubscription", subscriptionId=f"S{subscription.pk}").status_code == 200
    assert api.post(INCREASE, change(subscription.pk, 5)).status_code == 500
    assert quantity() == 15  # applied, then the error


@pytest.mark.parametrize(
    "fault",
    [
        {"method": INCREASE, "mode": "error", "on": "later"},
        {"method": INCREASE, "mode": "error", "on": None},
        {"method": "getsubscription", "mode": "error", "on": "commit"},
    ],
)
def test_invalid_targets_are_400(api, subscription, fault):
    assert api.control("post", "faults", fault).status_code == 400
