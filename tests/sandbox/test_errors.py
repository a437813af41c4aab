"""Every refusal answers the vendor's status with a ResultMessage, and changes nothing."""

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.clock import clock_freeze
from sandbox.models import SubscriptionItem, SubscriptionStatus
from tests.sandbox.api import API, SandboxAPI, basic, body_of, change
from tests.sandbox.factories import ProductFactory, SubscriptionFactory

START = datetime(2026, 4, 23, 15, 57, 14, 106747, tzinfo=UTC)


@pytest.fixture
def subscription(db):
    product = ProductFactory(id=293160, tiers={"USD": [(1, "80.00")]})
    ProductFactory(id=294835, interval="P1Y", tiers={"USD": [(1, "1200.00")]})
    ProductFactory(id=293999, tiers={"EUR": [(1, "75.00")]})
    clock_freeze(at=START + timedelta(days=10))
    return SubscriptionFactory(id=68574751, start=START, items=[(product, 10)])


def refused(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert body_of(response)["ResultMessage"].startswith(message)


def assert_unchanged() -> None:
    assert list(SubscriptionItem.objects.values_list("version", "quantity")) == [(1, 10)]


def test_non_ascii_digits_in_ids_are_400_never_500(api, subscription):
    refused(api.get("getsubscription", subscriptionId="S\u00b2"), 400, "Invalid field type: SubscriptionId.")
    refused(api.get("getsubscriptionsforcustomer", customerId="\u00b2"), 400, "Invalid field type: customerId.")


@pytest.mark.parametrize("missing", ["SubscriptionId", "RunningNumber", "Quantity"])
def test_missing_field_is_400(api, subscription, missing):
    payload = change(subscription.pk, 5)
    del payload[missing]

    refused(api.post("increasesubscriptionitemquantity", payload), 400, "Missing required field.")
    assert_unchanged()


def test_update_without_product_is_400(api, subscription):
    refused(api.post("updatesubscriptionitem", change(subscription.pk, 5)), 400, "Missing required field.")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Quantity", "5"),
        ("Quantity", 5.0),
        ("Quantity", True),
        ("RunningNumber", "1"),
        ("SubscriptionId", [1]),
        ("SubscriptionId", "S\u00b2"),
    ],
)
def test_wrong_type_is_400(api, subscription, field, value):
    payload = change(subscription.pk, 5) | {field: value}

    refused(api.post("increasesubscriptionitemquantity", payload), 400, f"Invalid field type: {field}.")
    assert_unchanged()


@pytest.mark.parametrize(
    "patch",
    [
        {"GenerateMail": "yes"},
        {"AlignmentSettings": "preview"},
        {"AlignmentSettings": {"GetCustomerPricePreviewOnly": 1}},
        {"UpdateAction": "Sidegrade"},
        {"UpdateAction": 3},
        {"TriggerImmediateRenewal": "no"},
    ],
)
def test_wrong_flag_types_are_400(api, subscription, patch):
    payload = change(subscription.pk, 5, product_id=293160) | patch

    assert api.post("updatesubscriptionitem", payload).status_code == 400
    assert_unchanged()


@pytest.mark.parametrize("action", ["Update", "upgrade", "DOWNGRADE", 0, 1, 2])
def test_update_action_names_and_numbers_are_accepted(api, subscription, action):
    payload = change(subscription.pk, 12, product_id=293160, preview=True) | {"TriggerImmediateRenewal": False}

    assert api.post("updatesubscriptionitem", payload | {"UpdateAction": action}).status_code == 200


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b"\xff\xfe"])
def test_malformed_json_is_400_never_500(client, subscription, raw):
    response = client.post(
        API + "increasesubscriptionitemquantity", raw, content_type="application/json", HTTP_AUTHORIZATION=basic()
    )

    assert response.status_code == 400
    assert body_of(response)["ResultMessage"]


def test_only_json_is_accepted_on_post(client, subscription):
    response = client.post(API + "increasesubscriptionitemquantity", {"Quantity": "5"}, HTTP_AUTHORIZATION=basic())

    refused(response, 400, "Content-Type must be application/json.")


@pytest.mark.parametrize(
    "authorization",
    [None, basic("sandbox", "wrong"), basic("someone", "sandbox"), "Bearer sandbox", "Basic !!!not-base64"],
)
def test_bad_credentials_are_401_with_a_challenge(client, subscription, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.get(API + "getsubscription", {"subscriptionId": "S68574751"}, **headers)

    refused(response, 401, "Unauthorized.")
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_credentials_come_from_the_settings(client, subscription, settings):
    settings.CLEVERBRIDGE_API_USER, settings.CLEVERBRIDGE_API_PASSWORD = "merchant", "s3cret"

    assert SandboxAPI(client).get("getsubscription", subscriptionId="68574751").status_code == 401
    ok = SandboxAPI(client, user="merchant", password="s3cret").get("getsubscription", subscriptionId="68574751")
    assert ok.status_code == 200


@pytest.mark.parametrize("quantity", [0, -3])
def test_non_positive_quantity_is_402(api, subscription, quantity):
    refused(api.post("increasesubscriptionitemquantity", change(subscription.pk, quantity)), 402, "Invalid parameters.")
    assert_unchanged()


def test_mid_interval_downgrade_with_alignment_is_402(api, subscription):
    payload = change(subscription.pk, 5, product_id=293160) | {"UpdateAction": "Downgrade"}

    refused(api.post("updatesubscriptionitem", payload), 402, "Invalid parameters.")
    assert_unchanged()


@pytest.mark.parametrize("status", [s for s in SubscriptionStatus.values if s != SubscriptionStatus.ACTIVE])
def test_changing_a_subscription_that_is_not_active_is_402(api, subscription, status):
    subscription.status = status
    subscription.save()

    refused(api.post("increasesubscriptionitemquantity", change(subscription.pk, 5)), 402, "Invalid parameters.")
    assert_unchanged()


def test_product_without_a_price_in_the_currency_is_402(api, subscription):
    payload = change(subscription.pk, 1, running_no=None, product_id=293999)

    refused(api.post("addsubscriptionitem", payload), 402, "Invalid parameters.")


def test_product_of_another_interval_is_402(api, subscription):
    payload = change(subscription.pk, 1, running_no=None, product_id=294835)

    refused(api.post("addsubscriptionitem", payload), 402, "Invalid parameters.")


def test_unknown_subscription_is_404(api, subscription):
    refused(api.get("getsubscription", subscriptionId="S1"), 404, "Subscription not found.")
    refused(api.post("increasesubscriptionitemquantity", change(1, 5)), 404, "Subscription not found.")


def test_unknown_item_is_404(api, subscription):
    refused(
        api.post("increasesubscriptionitemquantity", change(subscription.pk, 5, running_no=7)), 404, "Item not found"
    )


def test_unknown_product_is_404(api, subscription):
    payload = change(subscription.pk, 1, running_no=None, product_id=999)

    refused(api.post("addsubscriptionitem", payload), 404, "Product not found.")


def test_malformed_subscription_id_is_400(api, subscription):
    refused(api.get("getsubscription", subscriptionId="S68x"), 400, "Invalid field type: SubscriptionId.")
    refused(api.get("getsubscription"), 400, "Missing required field.")


def test_wrong_http_method_is_405(api, client, subscription):
    on_get = client.post(API + "getsubscription?subscriptionId=S68574751", HTTP_AUTHORIZATION=basic())
    on_post = api.get("increasesubscriptionitemquantity")

    refused(on_get, 405, "Method not allowed")
    assert on_get["Allow"] == "GET"
    refused(on_post, 405, "Method not allowed")
    assert on_post["Allow"] == "POST"


def test_unknown_api_method_is_404(api, subscription):
    refused(api.get("cancelsubscription"), 404, "Method not found.")


def test_customer_lookup_errors(api, subscription):
    refused(api.get("getsubscriptionsforcustomer"), 400, "Missing required field.")
    refused(api.get("getsubscriptionsforcustomer", customerId="abc"), 400, "Invalid field type: customerId.")
    refused(api.get("getsubscriptionsforcustomer", customerId="1"), 404, "Customer not found.")


def test_huge_numbers_are_refused_not_crashed_on(api, subscription):
    huge = 10**20

    refused(api.get("getsubscription", subscriptionId=f"S{huge}"), 400, "Invalid field type: SubscriptionId.")
    refused(api.get("getsubscriptionsforcustomer", customerId=str(huge)), 400, "Invalid field type: customerId.")
    refused(api.post("addsubscriptionitem", change(subscription.pk, 1, product_id=huge)), 400, "Invalid field type")
    refused(api.post("increasesubscriptionitemquantity", change(subscription.pk, 10**9)), 402, "Invalid parameters.")
    refused(api.post("increasesubscriptionitemquantity", change(subscription.pk, 999_995)), 402, "Invalid parameters.")
    assert_unchanged()
