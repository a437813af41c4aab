"""The three change methods: quantity semantics, alignment rows, versions, purchases and mail."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.core import serializers

from sandbox import models
from sandbox.clock import clock_freeze
from tests.sandbox.api import body_of, change
from tests.sandbox.factories import ProductFactory, SubscriptionFactory

START = datetime(2026, 4, 23, 15, 57, 14, 106747, tzinfo=UTC)
SANDBOX_MODELS = [
    models.Product,
    models.PriceTier,
    models.Customer,
    models.Subscription,
    models.SubscriptionItem,
    models.Purchase,
    models.OutboxEmail,
    models.SandboxClock,
]


def dump() -> str:
    """Every sandbox row, serialized, to prove that nothing moved."""
    return "\n".join(serializers.serialize("json", model.objects.order_by("pk")) for model in SANDBOX_MODELS)


def current(subscription: dict, running_no: int = 1) -> dict:
    return next(i for i in subscription["Items"] if i["RunningNo"] == running_no and i["IsCurrent"])


@pytest.fixture
def monthly(db):
    """Ten seats at 80.00 a month, at a moment 1/4 of a 30-day interval before renewal."""
    product = ProductFactory(id=293160, name="Cloudify M", tiers={"USD": [(1, "80.00")]})
    subscription = SubscriptionFactory(id=68574751, start=START, items=[(product, 10)])
    clock_freeze(at=START + timedelta(days=22, hours=12))
    return subscription


@pytest.mark.parametrize(
    ("method", "extra"),
    [
        ("increasesubscriptionitemquantity", {}),
        ("updatesubscriptionitem", {"ProductId": 293160, "Quantity": 12}),
        ("addsubscriptionitem", {"ProductId": 293161, "RunningNumber": None}),
    ],
)
@pytest.mark.parametrize("align", [True, False])
def test_a_preview_changes_no_row(api, monthly, method, extra, align):
    ProductFactory(id=293161, name="Cloudify Backup", tiers={"USD": [(1, "15.00")]})
    before = dump()
    payload = {
        k: v for k, v in (change(monthly.pk, 5, preview=True, align=align, mail=True) | extra).items() if v is not None
    }

    response = api.post(method, payload)

    assert response.status_code == 200, response.content
    assert body_of(response)["NextBillingCustomerGrossPrice"] > D("800.00")
    assert dump() == before


def test_increase_adds_seats_to_the_current_quantity(api, monthly):
    api.post("increasesubscriptionitemquantity", change(monthly.pk, 15))

    assert current(api.subscription(monthly.pk))["Quantity"] == 25


def test_update_sets_the_total(api, monthly):
    api.post("updatesubscriptionitem", change(monthly.pk, 12, product_id=293160))

    subscription = api.subscription(monthly.pk)
    assert current(subscription)["Quantity"] == 12
    assert subscription["NextBillingCustomerGrossPrice"] == D("960.00")


def test_each_change_adds_a_version_and_retires_the_previous_one(api, monthly):
    api.set_clock("2026-05-01T00:00:00Z")
    api.post("increasesubscriptionitemquantity", change(monthly.pk, 1))
    api.post("increasesubscriptionitemquantity", change(monthly.pk, 2))

    items = api.subscription(monthly.pk)["Items"]

    assert [(i["Version"], i["IsCurrent"], i["Quantity"]) for i in items] == [
        (1, False, 10),
        (2, False, 11),
        (3, True, 13),
    ]
    assert items[2]["VersionActiveDate"] == "2026-05-01T00:00:00.000000"
    assert items[2]["StartDate"] == items[0]["StartDate"] == "2026-04-23T15:57:14.106747"
    assert [i["NextBillingCustomerGrossPrice"] for i in items] == [D("800.00"), D("880.00"), D("1040.00")]


def test_co_termed_change_charges_the_remaining_share_and_keeps_the_billing_date(api, monthly):
    # 7.5 of 30 days remain: 5 seats x 80.00 x 1/4 = 100.00
    body = body_of(api.post("increasesubscriptionitemquantity", change(monthly.pk, 5)))

    assert body["AlignmentCustomerGrossPrice"] == D("100.00")
    assert body["AlignmentCustomerNetPrice"] == D("84.03")
    assert body["AlignmentCustomerVatPrice"] == D("15.97")
    assert api.subscription(monthly.pk)["NextBillingDate"] == "2026-05-23T15:57:14.106747"


def test_extended_change_charges_a_full_interval_minus_credit_and_moves_the_billing_date(api, monthly):
    # 15 seats = 1200.00 for a full interval, minus the unused quarter of 800.00 = 1000.00
    body = body_of(api.post("increasesubscriptionitemquantity", change(monthly.pk, 5, extend=True)))

    assert body["AlignmentCustomerGrossPrice"] == D("1000.00")
    assert body["NextBillingCustomerGrossPrice"] == D("1200.00")
    subscription = api.subscription(monthly.pk)
    assert subscription["NextBillingDate"] == "2026-06-16T03:57:14.106747"  # now (05-16 03:57) + one month
    assert subscription["NextBillingDateReminder"] == "2026-06-14T03:57:14.106747Z"


def test_without_alignment_nothing_is_charged_but_the_next_billing_amount_changes(api, monthly):
    body = body_of(api.post("increasesubscriptionitemquantity", change(monthly.pk, 5, align=False)))

    assert body["AlignmentCustomerGrossPrice"] == D("0.00")
    assert body["NextBillingCustomerGrossPrice"] == D("1200.00")
    assert api.subscription(monthly.pk)["NextBillingCustomerGrossPrice"] == D("1200.00")
    assert not models.Purchase.objects.filter(category="Alignment").exists()


def test_missing_alignment_settings_mean_applied_without_charge(api, monthly):
    payload = {"SubscriptionId": monthly.pk, "RunningNumber": 1, "Quantity": 5}

    body = body_of(api.post("increasesubscriptionitemquantity", payload))

    assert body["AlignmentCustomerGrossPrice"] == D("0.00")
    assert current(api.subscription(monthly.pk))["Quantity"] == 15


def test_a_preview_without_alignment_quotes_no_charge(api, monthly):
    body = body_of(api.post("increasesubscriptionitemquantity", change(monthly.pk, 5, preview=True, align=False)))

    assert body["AlignmentCustomerGrossPrice"] == D("0.00")
    assert body["NextBillingCustomerGrossPrice"] == D("1200.00")


def test_a_charged_commit_records_an_alignment_purchase(api, monthly):
    api.post("increasesubscriptionitemquantity", change(monthly.pk, 5))

    purchases = body_of(api.control("get", "purchases", subscription_id=monthly.pk))["Purchases"]

    newest = purchases[0]
    assert newest["Category"] == "Alignment"
    assert (newest["GrossPrice"], newest["NetPrice"], newest["VatPrice"]) == (D("100.00"), D("84.03"), D("15.97"))
    assert newest["RunningNo"] == 1
    assert newest["CurrencyId"] == "USD"
    assert newest["PurchaseId"] > 538988783
    assert newest["CreatedAt"] == "2026-05-16T03:57:14.106747"
    refs = current(api.subscription(monthly.pk))["SubscriptionPurchaseItems"]
    assert [r["PurchaseId"] for r in refs] == [newest["PurchaseId"]]


def test_generate_mail_records_a_confirmation_to_the_customer(api, monthly):
    api.post("increasesubscriptionitemquantity", change(monthly.pk, 5, mail=True))

    emails = body_of(api.control("get", "emails", subscription_id=monthly.pk))["Emails"]

    assert len(emails) == 1
    assert emails[0]["To"] == monthly.customer.email
    assert "S68574751" in emails[0]["Subject"]
    assert "10 → 15" in emails[0]["Body"]
    assert "100.00 USD" in emails[0]["Body"]
    assert "1200.00 USD" in emails[0]["Body"]


def test_no_mail_without_generate_mail(api, monthly):
    api.post("increasesubscriptionitemquantity", change(monthly.pk, 5, mail=False))

    assert not models.OutboxEmail.objects.exists()


def test_emails_are_listed_newest_first_and_filtered(api, monthly):
    other = SubscriptionFactory(start=START)
    api.post("increasesubscriptionitemquantity", change(monthly.pk, 1, mail=True))
    api.control("post", "clock", {"advance_seconds": 60})
    api.post("increasesubscriptionitemquantity", change(monthly.pk, 2, mail=True))
    api.post("increasesubscriptionitemquantity", change(other.pk, 2, mail=True))

    mine = body_of(api.control("get", "emails", subscription_id=f"S{monthly.pk}"))["Emails"]
    everyone = body_of(api.control("get", "emails"))["Emails"]

    assert ["11 → 13" in e["Body"] for e in mine] == [True, False]
    assert len(everyone) == 3


def test_add_item_gets_the_next_running_number_and_is_co_termed(api, monthly):
    ProductFactory(id=293161, name="Cloudify Backup", tiers={"USD": [(1, "15.00")]})
    payload = change(monthly.pk, 4, running_no=None, product_id=293161)

    body = body_of(api.post("addsubscriptionitem", payload))

    assert body["AlignmentCustomerGrossPrice"] == D("15.00")  # 4 x 15.00 x 1/4
    assert body["NextBillingCustomerGrossPrice"] == D("860.00")
    added = current(api.subscription(monthly.pk), running_no=2)
    assert (added["ProductName"], added["Quantity"], added["Version"]) == ("Cloudify Backup", 4, 1)
    assert added["NextBillingCustomerGrossPrice"] == D("60.00")


def test_update_may_switch_the_product(api, monthly):
    ProductFactory(id=293170, name="Cloudify L", tiers={"USD": [(1, "120.00")]})

    body = body_of(api.post("updatesubscriptionitem", change(monthly.pk, 10, product_id=293170) | {"UpdateAction": 1}))

    assert body["AlignmentCustomerGrossPrice"] == D("100.00")  # (1200 - 800) x 1/4
    item = current(api.subscription(monthly.pk))
    assert (item["ProductId"], item["ProductName"], item["Version"]) == (293170, "Cloudify L", 2)


def test_zero_vat_customer_pays_gross_as_net(api, db):
    product = ProductFactory(tiers={"USD": [(1, "80.00")]})
    subscription = SubscriptionFactory(start=START, items=[(product, 1)], customer__vat_rate=D(0))
    clock_freeze(at=START)

    body = body_of(api.post("increasesubscriptionitemquantity", change(subscription.pk, 1)))

    assert body["AlignmentCustomerNetPrice"] == body["AlignmentCustomerGrossPrice"] == D("80.00")
    assert body["AlignmentCustomerVatPrice"] == D("0.00")


def test_yen_amounts_have_no_decimals(api, db):
    product = ProductFactory(tiers={"JPY": [(1, "12000")]})
    subscription = SubscriptionFactory(start=START, currency="JPY", items=[(product, 4)], customer__vat_rate=D("0.10"))
    clock_freeze(at=START + timedelta(days=10))

    response = api.post("increasesubscriptionitemquantity", change(subscription.pk, 1, preview=True))

    body = body_of(response)
    assert body["AlignmentCustomerGrossPrice"] == D("8000")  # 12000 x 20/30
    assert (body["AlignmentCustomerNetPrice"], body["AlignmentCustomerVatPrice"]) == (D("7273"), D("727"))
    assert b'"NextBillingCustomerGrossPrice": 60000,' in response.content
