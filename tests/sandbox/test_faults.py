"""Fault injection: planned misbehaviour for the next calls of a method, for the client's error paths."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from sandbox.clock import clock_freeze
from sandbox.models import Fault, Purchase, SubscriptionItem
from tests.sandbox.api import body_of, change
from tests.sandbox.factories import ProductFactory, SubscriptionFactory

START = datetime(2026, 4, 23, 15, 57, 14, 106747, tzinfo=UTC)
INCREASE = "increasesubscriptionitemquantity"


@pytest.fixture
def subscription(db):
    clock_freeze(at=START + timedelta(days=10))
    return SubscriptionFactory(id=68574751, start=START, items=[(ProductFactory(), 10)])


def plan(api, **fault):
    response = api.control("post", "faults", {"count": 1} | fault)
    assert response.status_code == 200, response.content
    return body_of(response)["Fault"]


def quantity() -> int:
    return SubscriptionItem.objects.get(is_current=True).quantity


def test_error_answers_the_status_and_applies_nothing(api, subscription):
    plan(api, method=INCREASE, mode="error", status=503)

    response = api.post(INCREASE, change(subscription.pk, 5))

    assert response.status_code == 503
    assert body_of(response)["ResultMessage"]
    assert quantity() == 10
    assert api.post(INCREASE, change(subscription.pk, 5)).status_code == 200
    assert quantity() == 15


def test_error_defaults_to_500(api, subscription):
    plan(api, method="getsubscription", mode="error")

    assert api.get("getsubscription", subscriptionId="S68574751").status_code == 500


def test_malformed_answers_200_with_an_unreadable_body_and_applies_nothing(api, subscription):
    plan(api, method=INCREASE, mode="malformed")

    response = api.post(INCREASE, change(subscription.pk, 5))

    assert response.status_code == 200
    with pytest.raises(ValueError):
        body_of(response)
    assert quantity() == 10


def test_delay_pauses_then_answers_normally(api, subscription, slept):
    plan(api, method=INCREASE, mode="delay", delay_seconds=2.5)

    response = api.post(INCREASE, change(subscription.pk, 5))

    assert slept == [2.5]
    assert response.status_code == 200
    assert quantity() == 15


def test_apply_then_error_commits_but_answers_an_error(api, subscription):
    plan(api, method=INCREASE, mode="apply_then_error", status=502)

    response = api.post(INCREASE, change(subscription.pk, 5))

    assert response.status_code == 502
    assert quantity() == 15
    assert Purchase.objects.filter(category="Alignment").count() == 1


def test_apply_then_stall_commits_then_pauses_before_answering(api, subscription, slept):
    plan(api, method=INCREASE, mode="apply_then_stall", delay_seconds=30)

    response = api.post(INCREASE, change(subscription.pk, 5))

    assert slept == [30.0]
    assert response.status_code == 200
    assert quantity() == 15


def test_previews_consume_faults_too(api, subscription):
    plan(api, method=INCREASE, mode="error")

    assert api.post(INCREASE, change(subscription.pk, 5, preview=True)).status_code == 500
    assert api.post(INCREASE, change(subscription.pk, 5, preview=True)).status_code == 200


def test_count_and_wildcard(api, subscription):
    plan(api, method="*", mode="error", count=2)

    assert api.get("getsubscription", subscriptionId="S68574751").status_code == 500
    assert api.post(INCREASE, change(subscription.pk, 5)).status_code == 500
    assert api.get("getsubscription", subscriptionId="S68574751").status_code == 200


def test_a_fault_for_another_method_is_left_alone(api, subscription):
    plan(api, method="updatesubscriptionitem", mode="error")

    assert api.post(INCREASE, change(subscription.pk, 5)).status_code == 200
    assert Fault.objects.get().remaining == 1


def test_faults_are_listed_and_cleared(api, subscription):
    plan(api, method=INCREASE, mode="delay", count=3, delay_seconds=1.5)

    listed = body_of(api.control("get", "faults"))["Faults"]
    assert [(f["method"], f["mode"], f["count"], f["delay_seconds"]) for f in listed] == [
        (INCREASE, "delay", 3, D("1.500"))
    ]
    cleared = api.control("delete", "faults")
    assert body_of(cleared)["Faults"] == []
    assert not Fault.objects.exists()


@pytest.mark.parametrize(
    "fault",
    [
        {"method": "nosuchmethod", "mode": "error"},
        {"method": INCREASE, "mode": "explode"},
        {"method": INCREASE, "mode": "error", "count": 0},
        {"method": INCREASE, "mode": "error", "status": 200},
        {"method": INCREASE, "mode": "delay", "delay_seconds": -1},
    ],
)
def test_invalid_faults_are_400(api, subscription, fault):
    assert api.control("post", "faults", fault).status_code == 400
    assert not Fault.objects.exists()
