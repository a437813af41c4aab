"""Scenario loading by endpoint and by command: upsert by id, reset, validation that applies nothing."""

import json
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command

from sandbox.clock import clock_now
from sandbox.models import Customer, Fault, PriceTier, Product, Purchase, Subscription, SubscriptionItem
from sandbox.scenarios import DEMO_SCENARIO
from tests.sandbox.api import body_of


def scenario(**overrides) -> dict:
    data = {
        "clock": "2026-06-18T10:28:42.344357Z",
        "products": [
            {
                "id": 294835,
                "name": "Cloudify Storage A",
                "interval": "P1Y",
                "prices": {"USD": [{"from": 1, "unit_gross": "1200.00"}, {"from": 2, "unit_gross": "600.00"}]},
            }
        ],
        "customers": [
            {"id": 159215775, "email": "anna.schmidt@example.com", "country": "DE", "vat_rate": "0.19", "locale": "de"}
        ],
        "subscriptions": [
            {
                "id": 68841753,
                "customer_id": 159215775,
                "currency": "USD",
                "start": "2026-05-13T10:28:42.344357Z",
                "status": 1,
                "renewal_type": "Automatic",
                "payment": {"type": "Visa", "type_id": "CCA_VIS", "last_four": "765T", "expires": "2027-12"},
                "items": [{"product_id": 294835, "quantity": 1}],
            }
        ],
    }
    data.update(overrides)
    return data


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Product, PriceTier, Customer, Subscription, SubscriptionItem, Purchase))


def test_the_endpoint_loads_a_scenario_and_freezes_its_clock(api, db):
    response = api.control("post", "scenario", scenario())

    assert response.status_code == 200, response.content
    assert body_of(response) == {
        "ResultMessage": "OK",
        "Products": 1,
        "Customers": 1,
        "Subscriptions": 1,
        "Clock": "2026-06-18T10:28:42.344357Z",
    }
    subscription = api.subscription(68841753)
    assert subscription["NextBillingDate"] == "2027-05-13T10:28:42.344357"
    assert subscription["NextBillingCustomerGrossPrice"] == D("1200.00")
    assert subscription["PaymentInfo"]["CardExpirationDate"] == {"Month": 12, "Year": 2027}


def test_prices_may_be_json_numbers(api, db):
    data = scenario()
    data["products"][0]["prices"]["USD"] = [{"from": 1, "unit_gross": 1200.00}, {"from": 2, "unit_gross": 600}]

    assert api.control("post", "scenario", data).status_code == 200
    assert PriceTier.objects.get(first_seat=1).unit_gross == D("1200.00")


def test_loading_again_upserts_by_id(api, db):
    api.control("post", "scenario", scenario())
    changed = scenario()
    changed["products"][0]["name"] = "Cloudify Storage A+"
    changed["customers"][0]["email"] = "anna@example.com"
    changed["subscriptions"][0]["items"][0]["quantity"] = 3

    api.control("post", "scenario", changed)

    assert counts() == (1, 2, 1, 1, 1, 1)
    assert Product.objects.get().name == "Cloudify Storage A+"
    assert Customer.objects.get().email == "anna@example.com"
    assert SubscriptionItem.objects.get().quantity == 3


def test_reset_wipes_everything_first(api, demo):
    Fault.objects.create(method="*", mode="error")

    api.control("post", "scenario", scenario(clock=None), reset=1)

    assert counts() == (1, 2, 1, 1, 1, 1)
    assert not Fault.objects.exists()


def test_a_scenario_may_use_products_already_loaded(api, db):
    api.control("post", "scenario", scenario())
    second = scenario(products=[])
    second["subscriptions"][0]["id"] = 68841754

    assert api.control("post", "scenario", second).status_code == 200
    assert Subscription.objects.count() == 2


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda d: d["products"][0].update(interval="monthly"), "products[0]"),
        (lambda d: d["products"][0]["prices"]["USD"].pop(0), "first tier must start at seat 1"),
        (lambda d: d["products"][0]["prices"].update(JPY=[{"from": 1, "unit_gross": "12.5"}]), "more decimals"),
        (lambda d: d["customers"][0].update(vat_rate="19"), "vat_rate"),
        (lambda d: d["subscriptions"][0].update(customer_id=1), "customer 1 is unknown"),
        (lambda d: d["subscriptions"][0].update(currency="EUR"), "has no price in EUR"),
        (lambda d: d["subscriptions"][0].update(start="last spring"), "'start'"),
        (lambda d: d["subscriptions"][0]["items"][0].update(product_id=5), "product 5 is unknown"),
        (lambda d: d["subscriptions"][0]["items"][0].update(quantity=0), "'quantity'"),
        (lambda d: d["subscriptions"][0]["payment"].update(expires="12/2027"), "'expires'"),
        (lambda d: d.update(extra=1), "unknown keys"),
        (lambda d: d["products"][0].update(sold="no"), "'sold'"),
        (lambda d: d["subscriptions"][0]["items"][0].update(status=3), "'status' must be 1"),
        (lambda d: d["subscriptions"][0]["items"][0].update(deactivation_date="soon"), "'deactivation_date'"),
    ],
)
def test_an_invalid_scenario_is_400_and_applies_nothing(api, db, mutate, problem):
    data = scenario()
    data["products"].append(
        {"id": 1, "name": "Valid", "interval": "P1M", "prices": {"USD": [{"from": 1, "unit_gross": "1.00"}]}}
    )
    mutate(data)

    response = api.control("post", "scenario", data)

    assert response.status_code == 400
    body = body_of(response)
    assert body["ResultMessage"] == "Invalid scenario."
    assert any(problem in error for error in body["Errors"]), body["Errors"]
    assert counts() == (0, 0, 0, 0, 0, 0)
    assert api.control("get", "clock").json()["frozen"] is False


def test_a_product_no_longer_sold_and_a_deactivated_item(api, db):
    data = scenario()
    data["products"][0]["sold"] = False
    data["subscriptions"][0]["items"].append(
        {"product_id": 294835, "quantity": 2, "status": 2, "deactivation_date": "2026-05-20T00:00:00Z"}
    )

    assert api.control("post", "scenario", data).status_code == 200

    assert Product.objects.get().sold is False
    items = api.subscription(68841753)["Items"]
    assert [(i["RunningNo"], i["Status"], i["DeactivationDate"]) for i in items] == [
        (1, 1, None),
        (2, 2, "2026-05-20T00:00:00.000000"),
    ]


def test_a_scenario_that_is_not_an_object_is_400(api, db):
    assert api.control("post", "scenario", [1, 2]).status_code == 400


def test_the_command_loads_resets_and_reports(db, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(scenario()))

    summary = call_command("sandbox_load", str(DEMO_SCENARIO))
    assert summary.startswith("Loaded 8 products")
    assert clock_now().isoformat() == "2026-04-24T16:01:10+00:00"

    call_command("sandbox_load", str(path), "--reset")
    assert counts() == (1, 2, 1, 1, 1, 1)


def test_the_command_with_if_empty_leaves_existing_data_alone(db, tmp_path):
    call_command("sandbox_load", str(DEMO_SCENARIO), "--if-empty")
    before = counts()

    message = call_command("sandbox_load", str(DEMO_SCENARIO), "--if-empty")

    assert message == "Sandbox already holds data; nothing loaded."
    assert counts() == before


def test_the_command_reports_invalid_scenarios_and_applies_nothing(db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(scenario(customers=[])))

    with pytest.raises(CommandError, match="customer 159215775 is unknown"):
        call_command("sandbox_load", str(bad))
    assert counts() == (0, 0, 0, 0, 0, 0)

    bad.write_text("{oops")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("sandbox_load", str(bad))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("sandbox_load", str(tmp_path / "missing.json"))
