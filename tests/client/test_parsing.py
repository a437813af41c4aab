"""The vendor's JSON becomes typed values: exact Decimal money, UTC datetimes, current item versions."""

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from subscriptions.cleverbridge import (
    AddItem,
    IncreaseQuantity,
    OutcomeUnknown,
    PaymentInfo,
    Prices,
    Unavailable,
    UpdateItem,
)
from tests.client.scripted import PASSWORD, USER, Vendor, fixture_text, reply

GUIDE_SUBSCRIPTION = fixture_text("getsubscription.json")
GUIDE_PREVIEW = fixture_text("increasesubscriptionitemquantity-preview.json")


def subscription_json(**overrides) -> dict:
    data = json.loads(GUIDE_SUBSCRIPTION)
    data["Subscription"].update(overrides)
    return data


def test_guide_subscription_is_parsed(client_for):
    vendor = Vendor((200, GUIDE_SUBSCRIPTION, {}))

    subscription = client_for(vendor).get_subscription(68574751)

    assert subscription.id == 68574751
    assert subscription.customer_id == 159215775
    assert subscription.customer_reference_id == "skTI6EGSpGU1kODfm86bGsERjB5DGORw8Xj8wTGA"
    assert subscription.currency == "USD"
    assert subscription.status == 1
    assert subscription.is_active
    assert subscription.status_label == "Active"
    assert subscription.renewal_type == "Automatic"
    assert subscription.start == datetime(2026, 4, 23, 15, 57, 14, 106747, tzinfo=UTC)
    assert subscription.next_billing_date == datetime(2026, 5, 23, 15, 57, 14, 106747, tzinfo=UTC)
    assert subscription.next_renewal_date == datetime(2026, 5, 23, 15, 57, 14, 106747, tzinfo=UTC)
    assert (subscription.interval_months, subscription.interval_days) == (1, 0)
    assert subscription.next_billing == Prices(Decimal("800.0"), Decimal("672.27"), Decimal("127.73"), "USD")
    assert subscription.next_renewal == subscription.next_billing
    assert subscription.payment == PaymentInfo("Visa", "CCA_VIS", "765T", 12, 2027)
    assert subscription.self_service_url == "https://www.cleverbridge.com/864/s/s68574751-jsIbr45NbQcuZ2PO"

    (item,) = subscription.items
    assert subscription.current_items == (item,)
    assert subscription.item(1) is item
    assert subscription.item(2) is None
    assert (item.running_no, item.product_id, item.product_name, item.quantity) == (1, 293160, "Cloudify M", 10)
    assert item.is_active and item.is_current and item.version == 1
    assert item.start == datetime(2026, 4, 23, 15, 57, 14, 106747, tzinfo=UTC)
    assert item.version_active == item.start
    assert item.next_billing.net == Decimal("672.27")
    assert isinstance(item.next_billing.gross, Decimal)


def test_get_subscription_request_shape(client_for):
    vendor = Vendor((200, GUIDE_SUBSCRIPTION, {}))

    client_for(vendor).get_subscription("S68574751")

    (request,) = vendor.requests
    assert request.method == "GET"
    assert request.url.path == "/subscription/getsubscription"
    assert dict(request.url.params) == {"subscriptionId": "S68574751"}
    assert request.headers["Accept"] == "application/json"
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {token}"


@pytest.mark.parametrize("given", [68574751, "68574751", "S68574751", "s68574751"])
def test_subscription_id_is_always_sent_with_s(client_for, given):
    vendor = Vendor((200, GUIDE_SUBSCRIPTION, {}))
    client_for(vendor).get_subscription(given)
    assert vendor.requests[0].url.params["subscriptionId"] == "S68574751"


@pytest.mark.parametrize("given", ["", "S", "abc", "S12x", "-5"])
def test_nonsense_subscription_id_is_refused_before_sending(client_for, given):
    vendor = Vendor((200, GUIDE_SUBSCRIPTION, {}))
    with pytest.raises(ValueError):
        client_for(vendor).get_subscription(given)
    assert vendor.requests == []


def test_preview_money_is_exact_decimal(client_for):
    vendor = Vendor((200, GUIDE_PREVIEW, {}))

    quote = client_for(vendor).preview(IncreaseQuantity(subscription_id=68574751, running_no=1, add_quantity=15))

    assert quote.charge_now == Prices(Decimal("1159.89"), Decimal("974.70"), Decimal("185.19"), "USD")
    assert str(quote.charge_now.net) == "974.70"
    assert isinstance(quote.charge_now.net, Decimal)
    assert quote.next_billing == Prices(Decimal("2000.00"), Decimal("1680.67"), Decimal("319.33"), "USD")
    assert quote.next_renewal == quote.next_billing
    assert quote.currency == "USD"
    assert quote.exchange.method == "increasesubscriptionitemquantity"
    assert quote.exchange.status == 200
    assert quote.exchange.response_text == GUIDE_PREVIEW
    assert quote.exchange.request_body == vendor.bodies()[0]
    assert quote.exchange.duration_ms >= 0


def test_integer_money_becomes_decimal(client_for):
    body = {
        "AlignmentCustomerGrossPrice": 0,
        "AlignmentCustomerNetPrice": 0,
        "AlignmentCustomerVatPrice": 0,
        "NextBillingCustomerGrossPrice": 2000,
        "NextBillingCustomerNetPrice": 1680.67,
        "NextBillingCustomerVatPrice": 319.33,
        "NextRenewalCustomerGrossPrice": 0,
        "NextRenewalCustomerNetPrice": 0,
        "NextRenewalCustomerVatPrice": 0,
        "PriceCurrencyId": "JPY",
        "ResultMessage": "OK",
    }
    quote = client_for(Vendor(reply(200, body))).preview(AddItem(subscription_id=1, product_id=2))

    assert quote.charge_now.gross == Decimal(0)
    assert isinstance(quote.charge_now.gross, Decimal)
    assert quote.next_billing.gross == Decimal(2000)
    assert isinstance(quote.next_billing.gross, Decimal)
    assert quote.next_renewal == Prices(Decimal(0), Decimal(0), Decimal(0), "JPY")


def test_only_current_versions_count(client_for):
    base = json.loads(GUIDE_SUBSCRIPTION)["Subscription"]["Items"][0]
    items = [
        {**base, "RunningNo": 2, "ProductId": 300000, "Quantity": 1, "Version": 1, "IsCurrent": True},
        {**base, "RunningNo": 1, "Quantity": 10, "Version": 1, "IsCurrent": False},
        {**base, "RunningNo": 1, "Quantity": 25, "Version": 2, "IsCurrent": True},
    ]
    vendor = Vendor(reply(200, subscription_json(Items=items)))

    subscription = client_for(vendor).get_subscription(68574751)

    assert len(subscription.items) == 3
    assert [(item.running_no, item.quantity) for item in subscription.current_items] == [(1, 25), (2, 1)]
    assert subscription.item(1).version == 2
    assert subscription.item(2).product_id == 300000


def test_timestamps_with_z_or_offset_become_utc(client_for):
    vendor = Vendor(
        reply(
            200,
            subscription_json(StartDate="2026-04-23T15:57:14Z", NextBillingDate="2026-05-23T17:57:14.5+02:00"),
        )
    )

    subscription = client_for(vendor).get_subscription(68574751)

    assert subscription.start == datetime(2026, 4, 23, 15, 57, 14, tzinfo=UTC)
    assert subscription.next_billing_date == datetime(2026, 5, 23, 15, 57, 14, 500000, tzinfo=UTC)
    assert subscription.next_billing_date.utcoffset().total_seconds() == 0


def test_omitted_fields_are_tolerated(client_for):
    sparse = {
        "Subscription": {
            "Id": 68841753,
            "StartDate": "2026-05-13T10:28:42.344357",
            "NextBillingDate": None,
            "PaymentInfo": None,
            "Items": [
                {"ProductId": 294835, "ProductName": "Cloudify Storage A", "Quantity": 1, "RunningNo": 1, "Status": 1}
            ],
        },
        "ResultMessage": "OK",
    }

    subscription = client_for(Vendor(reply(200, sparse))).get_subscription(68841753)

    assert subscription.payment is None
    assert subscription.next_billing_date is None
    assert subscription.next_billing.gross == Decimal(0)
    assert subscription.item(1).start == subscription.start
    assert subscription.item(1).version_active is None


def test_invoice_payment_without_card(client_for):
    payment = {"PaymentType": "Invoice", "PaymentTypeId": "INV", "CardExpirationDate": None}
    vendor = Vendor(reply(200, subscription_json(PaymentInfo=payment)))

    info = client_for(vendor).get_subscription(68574751).payment

    assert info == PaymentInfo("Invoice", "INV", "", None, None)
    assert info.expires_at is None
    assert not info.expires_before(datetime(2100, 1, 1, tzinfo=UTC))


def test_card_expires_at_end_of_its_month():
    card = PaymentInfo("Visa", "CCA_VIS", "765T", 12, 2027)
    assert card.expires_at == datetime(2027, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert not card.expires_before(datetime(2027, 12, 31, 12, tzinfo=UTC))
    assert card.expires_before(datetime(2028, 1, 1, tzinfo=UTC))
    assert PaymentInfo("Visa", "CCA_VIS", "1", 2, 2028).expires_at.day == 29


@pytest.mark.parametrize(
    ("status", "label", "active"),
    [(1, "Active", True), (2, "Deactivated", False), (4, "Grace", False), (8, "Awaiting new order", False)],
)
def test_status_label(client_for, status, label, active):
    subscription = client_for(Vendor(reply(200, subscription_json(Subscriptionstatus=status)))).get_subscription(1)
    assert subscription.status_label == label
    assert subscription.is_active is active


def test_unknown_status_label_names_the_number(client_for):
    subscription = client_for(Vendor(reply(200, subscription_json(Subscriptionstatus=42)))).get_subscription(1)
    assert subscription.status_label == "Unknown (42)"


@pytest.mark.parametrize(
    ("kwargs", "params"),
    [
        ({"customer_id": 159215775}, {"customerId": "159215775"}),
        ({"email": "anna.schmidt@example.com"}, {"customerEmail": "anna.schmidt@example.com"}),
        ({"reference_id": "skTI6"}, {"customerReferenceId": "skTI6"}),
    ],
)
def test_subscriptions_for_customer(client_for, kwargs, params):
    one = json.loads(GUIDE_SUBSCRIPTION)["Subscription"]
    vendor = Vendor(reply(200, {"Subscriptions": [one, {**one, "Id": 70000000}], "ResultMessage": "OK"}))

    found = client_for(vendor).get_subscriptions_for_customer(**kwargs)

    assert [subscription.id for subscription in found] == [68574751, 70000000]
    assert vendor.requests[0].url.path == "/subscription/getsubscriptionsforcustomer"
    assert dict(vendor.requests[0].url.params) == params


def test_customer_without_subscriptions(client_for):
    found = client_for(Vendor(reply(200, {"Subscriptions": [], "ResultMessage": "OK"}))).get_subscriptions_for_customer(
        customer_id=1
    )
    assert found == []


@pytest.mark.parametrize("kwargs", [{}, {"customer_id": 1, "email": "a@example.com"}, {"email": ""}])
def test_subscriptions_for_customer_needs_exactly_one_key(client_for, kwargs):
    vendor = Vendor(reply(200, {"Subscriptions": [], "ResultMessage": "OK"}))
    with pytest.raises(ValueError):
        client_for(vendor).get_subscriptions_for_customer(**kwargs)
    assert vendor.requests == []


def test_ok_answer_missing_the_subscription_is_unavailable_without_retry(client_for):
    vendor = Vendor(reply(200, {"ResultMessage": "OK"}))
    with pytest.raises(Unavailable):
        client_for(vendor).get_subscription(1)
    assert len(vendor.requests) == 1


def test_non_ascii_digits_in_an_answer_make_it_unreadable(client_for):
    """ "²" passes str.isdigit() but not int(): a vendor answer with it is unusable, not a crash."""
    vendor = Vendor(reply(200, subscription_json(CustomerId="\u00b2")))
    with pytest.raises(Unavailable):
        client_for(vendor).get_subscription(68574751)


def alignment(preview: bool, align: bool = True) -> dict:
    return {"AlignToCurrentInterval": align, "ExtendInterval": False, "GetCustomerPricePreviewOnly": preview}


@pytest.mark.parametrize("preview", [True, False])
def test_request_bodies(preview):
    assert IncreaseQuantity(subscription_id=68574751, running_no=1, add_quantity=15).request_body(preview=preview) == {
        "SubscriptionId": "S68574751",
        "RunningNumber": 1,
        "Quantity": 15,
        "AlignmentSettings": alignment(preview),
        "GenerateMail": not preview,
    }
    assert UpdateItem(subscription_id=68841753, running_no=1, product_id=294835, total_quantity=2).request_body(
        preview=preview
    ) == {
        "SubscriptionId": "S68841753",
        "RunningNumber": 1,
        "ProductId": 294835,
        "Quantity": 2,
        "UpdateAction": "Upgrade",
        "TriggerImmediateRenewal": False,
        "AlignmentSettings": alignment(preview),
        "GenerateMail": not preview,
    }
    assert AddItem(subscription_id=12345678, product_id=123456).request_body(preview=preview) == {
        "SubscriptionId": "S12345678",
        "ProductId": 123456,
        "Quantity": 1,
        "AlignmentSettings": alignment(preview),
        "GenerateMail": not preview,
    }


def test_method_names():
    assert IncreaseQuantity(1, 1, 1).method == "increasesubscriptionitemquantity"
    assert UpdateItem(1, 1, 1, 1).method == "updatesubscriptionitem"
    assert AddItem(1, 1).method == "addsubscriptionitem"


def test_downgrade_is_not_aligned():
    """The vendor refuses a negative pro-rated amount, so a downgrade waits for the next billing date."""
    body = UpdateItem(1, 1, 1, total_quantity=3, update_action="Downgrade", at_next_billing=True).request_body(
        preview=True
    )
    assert body["AlignmentSettings"] == alignment(True, align=False)
    assert body["UpdateAction"] == "Downgrade"


@pytest.mark.parametrize(
    "build",
    [
        lambda: IncreaseQuantity(1, 1, add_quantity=0),
        lambda: IncreaseQuantity(1, 1, add_quantity=-3),
        lambda: UpdateItem(1, 1, 1, total_quantity=0),
        lambda: UpdateItem(1, 1, 1, total_quantity=2, update_action="Sideways"),
        lambda: AddItem(1, 1, quantity=0),
    ],
)
def test_nonsense_changes_are_refused(build):
    with pytest.raises(ValueError):
        build()


def test_preview_and_commit_send_their_bodies(client_for):
    preview_answer = reply(200, GUIDE_PREVIEW)
    vendor = Vendor(preview_answer, preview_answer)
    client = client_for(vendor)
    change = IncreaseQuantity(subscription_id=68574751, running_no=1, add_quantity=15)

    client.preview(change)
    client.commit(change)

    assert len(vendor.requests) == 2
    for request in vendor.requests:
        assert request.method == "POST"
        assert request.url.path == "/subscription/increasesubscriptionitemquantity"
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["Accept"] == "application/json"
    assert vendor.bodies() == [change.request_body(preview=True), change.request_body(preview=False)]


QUOTE_FIELDS = [
    f"{prefix}Customer{part}Price"
    for prefix in ("Alignment", "NextBilling", "NextRenewal")
    for part in ("Gross", "Net", "Vat")
] + ["PriceCurrencyId"]


def quote_without(name: str, value: object = None) -> dict:
    """The guide's preview answer with one field left out (value None) or replaced."""
    body = json.loads(GUIDE_PREVIEW)
    if value is None:
        del body[name]
    else:
        body[name] = value
    return body


@pytest.mark.parametrize("name", QUOTE_FIELDS)
def test_a_preview_missing_a_price_is_unreadable_never_zero(client_for, name):
    """A missing gross would show 0.00 for consent while the commit charges the real amount."""
    vendor = Vendor(reply(200, quote_without(name)))
    with pytest.raises(Unavailable):
        client_for(vendor).preview(IncreaseQuantity(subscription_id=68574751, running_no=1, add_quantity=15))


@pytest.mark.parametrize("name", QUOTE_FIELDS)
def test_a_commit_answer_missing_a_price_is_outcome_unknown(client_for, name):
    vendor = Vendor(reply(200, quote_without(name)))
    with pytest.raises(OutcomeUnknown):
        client_for(vendor).commit(IncreaseQuantity(subscription_id=68574751, running_no=1, add_quantity=15))
    assert len(vendor.requests) == 1


@pytest.mark.parametrize("value", ["", "lots", "NaN", "Infinity", True, [], {}])
@pytest.mark.parametrize("name", ["AlignmentCustomerGrossPrice", "NextRenewalCustomerVatPrice"])
def test_a_quote_price_that_is_not_a_number_is_unreadable(client_for, name, value):
    change = IncreaseQuantity(subscription_id=68574751, running_no=1, add_quantity=15)
    with pytest.raises(Unavailable):
        client_for(Vendor(reply(200, quote_without(name, value)))).preview(change)
    with pytest.raises(OutcomeUnknown):
        client_for(Vendor(reply(200, quote_without(name, value)))).commit(change)


@pytest.mark.parametrize("value", ["", "  ", 840, ["USD"]])
def test_a_quote_currency_that_is_not_a_code_is_unreadable(client_for, value):
    change = IncreaseQuantity(subscription_id=68574751, running_no=1, add_quantity=15)
    with pytest.raises(Unavailable):
        client_for(Vendor(reply(200, quote_without("PriceCurrencyId", value)))).preview(change)
