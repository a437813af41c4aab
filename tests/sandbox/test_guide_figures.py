"""The vendor guides' figures, to the cent, through the HTTP API at the guides' moments."""

from decimal import Decimal as D

from tests.sandbox.api import body_of, change


def amounts(body: dict, prefix: str) -> tuple[D, D, D]:
    return tuple(body[f"{prefix}Customer{part}Price"] for part in ("Gross", "Net", "Vat"))


def test_getsubscription_shows_the_guides_recurring_price(api, demo):
    subscription = api.subscription(68574751)

    assert amounts(subscription, "NextBilling") == (D("800.00"), D("672.27"), D("127.73"))
    assert amounts(subscription, "NextRenewal") == (D("800.00"), D("672.27"), D("127.73"))
    assert amounts(subscription["Items"][0], "NextBilling") == (D("800.00"), D("672.27"), D("127.73"))
    assert subscription["NextBillingDate"] == "2026-05-23T15:57:14.106747"


def test_increase_preview_of_15_seats_matches_the_guide(api, demo):
    response = api.post("increasesubscriptionitemquantity", change(68574751, 15, preview=True))

    body = body_of(response)
    assert response.status_code == 200
    assert amounts(body, "Alignment") == (D("1159.89"), D("974.70"), D("185.19"))
    assert amounts(body, "NextBilling") == (D("2000.00"), D("1680.67"), D("319.33"))
    assert amounts(body, "NextRenewal") == (D("2000.00"), D("1680.67"), D("319.33"))
    assert body["PriceCurrencyId"] == "USD"
    assert body["ResultMessage"] == "OK"


def test_money_is_written_as_exact_numbers(api, demo):
    response = api.post("increasesubscriptionitemquantity", change(68574751, 15, preview=True))

    assert b'"AlignmentCustomerNetPrice": 974.70' in response.content
    assert b'"NextBillingCustomerGrossPrice": 2000.00' in response.content


def test_increase_committed_three_days_later_matches_the_guides_commit(api, demo):
    api.set_clock("2026-04-27T15:59:20Z")

    response = api.post("increasesubscriptionitemquantity", change(68574751, 15))

    body = body_of(response)
    assert amounts(body, "Alignment") == (D("1039.94"), D("873.90"), D("166.04"))
    assert amounts(body, "NextBilling") == (D("2000.00"), D("1680.67"), D("319.33"))
    assert api.subscription(68574751)["Items"][-1]["Quantity"] == 25


def test_second_storage_seat_329_days_before_renewal_matches_the_guide(api, demo):
    api.set_clock("2026-06-18T10:28:42.344357Z")  # 2027-05-13 minus 329 days
    payload = change(68841753, 2, product_id=294835) | {"UpdateAction": 0}

    body = body_of(api.post("updatesubscriptionitem", payload))

    assert amounts(body, "Alignment") == (D("540.82"), D("454.47"), D("86.35"))
    assert amounts(body, "NextBilling") == (D("1800.00"), D("1512.61"), D("287.39"))
    subscription = api.subscription(68841753)
    assert subscription["NextBillingDate"] == "2027-05-13T10:28:42.344357"
    assert amounts(subscription, "NextRenewal") == (D("1800.00"), D("1512.61"), D("287.39"))
