"""updatesubscriptionitem without alignment: a new item version from the next billing date, nothing charged now."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from sandbox.clock import clock_freeze
from sandbox.models import NotificationDelivery, OutboxEmail, Purchase, SubscriptionItem
from tests.sandbox.api import body_of, change
from tests.sandbox.factories import ProductFactory, SubscriptionFactory
from tests.sandbox.test_changes import dump

START = datetime(2026, 4, 23, 15, 57, 14, 106747, tzinfo=UTC)
NEXT_BILLING = "2026-05-23T15:57:14.106747"
UPDATE = "updatesubscriptionitem"
M, L, YEARLY = 293160, 293170, 294835


def later(subscription_id: int, quantity: int, product_id: int = M, **kwargs) -> dict:
    """A change at the next billing date, as the client sends it (AlignToCurrentInterval false)."""
    return change(subscription_id, quantity, product_id=product_id, align=False, **kwargs) | {
        "UpdateAction": "Downgrade",
        "TriggerImmediateRenewal": False,
    }


def versions(subscription: dict, running_no: int = 1) -> list[tuple]:
    return [
        (i["Version"], i["IsCurrent"], i["ProductId"], i["Quantity"], i["VersionActiveDate"])
        for i in subscription["Items"]
        if i["RunningNo"] == running_no
    ]


@pytest.fixture
def monthly(db):
    """Ten seats of Cloudify M at 80.00 a month, a week before the billing date; Cloudify L and a yearly product."""
    product = ProductFactory(id=M, name="Cloudify M", tiers={"USD": [(1, "80.00")]})
    ProductFactory(id=L, name="Cloudify L", tiers={"USD": [(1, "120.00"), (11, "100.00")]})
    ProductFactory(id=YEARLY, name="Cloudify Storage A", interval="P1Y", tiers={"USD": [(1, "1200.00")]})
    subscription = SubscriptionFactory(id=68574751, start=START, items=[(product, 10)])
    clock_freeze(at=START + timedelta(days=23))
    return subscription


def test_a_downgrade_is_scheduled_for_the_next_billing_date_and_charges_nothing(api, monthly):
    response = api.post(UPDATE, later(monthly.pk, 8))

    assert response.status_code == 200, response.content
    body = body_of(response)
    assert body["AlignmentCustomerGrossPrice"] == D("0.00")
    assert (body["NextBillingCustomerGrossPrice"], body["NextBillingCustomerNetPrice"]) == (D("640.00"), D("537.82"))
    assert body["NextRenewalCustomerGrossPrice"] == D("640.00")
    subscription = api.subscription(monthly.pk)
    assert versions(subscription) == [
        (1, True, M, 10, "2026-04-23T15:57:14.106747"),
        (2, False, M, 8, NEXT_BILLING),
    ]
    scheduled = subscription["Items"][1]
    assert scheduled["NextBillingCustomerGrossPrice"] == D("640.00")  # each version's own price
    assert subscription["Items"][0]["NextBillingCustomerGrossPrice"] == D("800.00")
    assert subscription["NextBillingCustomerGrossPrice"] == D("640.00")  # what the next billing date charges
    assert not Purchase.objects.exclude(category="New").exists()
    assert not NotificationDelivery.objects.exists()


def test_a_preview_answers_the_same_and_changes_nothing(api, monthly):
    before = dump()

    preview = body_of(api.post(UPDATE, later(monthly.pk, 8, preview=True, mail=True)))

    assert dump() == before
    commit = body_of(api.post(UPDATE, later(monthly.pk, 8)))
    assert preview == commit


def test_a_new_scheduled_change_replaces_the_earlier_one(api, monthly):
    api.post(UPDATE, later(monthly.pk, 8))
    body = body_of(api.post(UPDATE, later(monthly.pk, 5)))

    assert body["NextBillingCustomerGrossPrice"] == D("400.00")
    assert versions(api.subscription(monthly.pk)) == [
        (1, True, M, 10, "2026-04-23T15:57:14.106747"),
        (2, False, M, 5, NEXT_BILLING),
    ]


def test_the_current_product_and_quantity_undo_the_scheduled_change(api, monthly):
    api.post(UPDATE, later(monthly.pk, 8))

    body = body_of(api.post(UPDATE, later(monthly.pk, 10) | {"UpdateAction": "Update"}))

    assert (body["AlignmentCustomerGrossPrice"], body["NextBillingCustomerGrossPrice"]) == (D("0.00"), D("800.00"))
    subscription = api.subscription(monthly.pk)
    assert versions(subscription) == [(1, True, M, 10, "2026-04-23T15:57:14.106747")]
    assert subscription["NextBillingCustomerGrossPrice"] == D("800.00")


def test_an_undo_preview_answers_the_amount_without_the_scheduled_change(api, monthly):
    api.post(UPDATE, later(monthly.pk, 8))
    body = body_of(api.post(UPDATE, later(monthly.pk, 10, preview=True)))
    assert body["NextBillingCustomerGrossPrice"] == D("800.00")
    assert len(versions(api.subscription(monthly.pk))) == 2


def test_at_the_billing_date_the_scheduled_version_becomes_current_and_the_renewal_charges_it(api, monthly):
    api.post(UPDATE, later(monthly.pk, 8))
    api.set_clock("2026-05-24T00:00:00Z")

    subscription = api.subscription(monthly.pk)

    assert versions(subscription) == [
        (1, False, M, 10, "2026-04-23T15:57:14.106747"),
        (2, True, M, 8, NEXT_BILLING),
    ]
    renewal = Purchase.objects.get(category="Renewal")
    assert renewal.gross == D("640.00")
    assert renewal.created_at == datetime(2026, 5, 23, 15, 57, 14, 106747, tzinfo=UTC)
    assert subscription["NextBillingDate"] == "2026-06-23T15:57:14.106747"
    assert subscription["NextBillingCustomerGrossPrice"] == D("640.00")
    refs = {i["Version"]: i["SubscriptionPurchaseItems"] for i in subscription["Items"]}
    assert [r["PurchaseId"] for r in refs[2]] == [renewal.vendor_id]
    assert renewal.vendor_id not in [r["PurchaseId"] for r in refs[1]]


def test_a_plan_switch_at_the_billing_date(api, monthly):
    body = body_of(api.post(UPDATE, later(monthly.pk, 10, product_id=L) | {"UpdateAction": "Upgrade"}))

    assert (body["AlignmentCustomerGrossPrice"], body["NextBillingCustomerGrossPrice"]) == (D("0.00"), D("1200.00"))
    assert api.subscription(monthly.pk)["Items"][0]["ProductId"] == M
    api.set_clock("2026-05-24T00:00:00Z")
    item = next(i for i in api.subscription(monthly.pk)["Items"] if i["IsCurrent"])
    assert (item["ProductId"], item["ProductName"], item["Quantity"]) == (L, "Cloudify L", 10)
    assert Purchase.objects.get(category="Renewal").gross == D("1200.00")


def test_renewals_after_the_switch_keep_the_new_amount(api, monthly):
    api.post(UPDATE, later(monthly.pk, 8))
    api.set_clock("2026-07-01T00:00:00Z")
    api.subscription(monthly.pk)
    assert list(Purchase.objects.filter(category="Renewal").order_by("created_at").values_list("gross", flat=True)) == [
        D("640.00"),
        D("640.00"),
    ]


def test_the_confirmation_mail_says_when_and_what(api, monthly):
    api.post(UPDATE, later(monthly.pk, 8, mail=True))
    mail = OutboxEmail.objects.get()
    assert "From 2026-05-23" in mail.body and "Nothing is charged now" in mail.body and "640.00" in mail.body


def test_an_immediate_change_of_an_item_with_a_scheduled_change_is_refused(api, monthly):
    api.post(UPDATE, later(monthly.pk, 8))
    before = dump()

    upgrade = api.post(UPDATE, change(monthly.pk, 10, product_id=L) | {"UpdateAction": "Upgrade"})
    increase = api.post("increasesubscriptionitemquantity", change(monthly.pk, 2))
    preview = api.post("increasesubscriptionitemquantity", change(monthly.pk, 2, preview=True))

    for response in (upgrade, increase, preview):
        assert response.status_code == 402
        assert body_of(response)["ResultMessage"] == (
            "Invalid parameters. A change is scheduled for this item; undo it first."
        )
    assert dump() == before


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        (lambda pk: later(pk, 8, running_no=9), 404, "Item not found"),
        (lambda pk: later(pk, 8, product_id=999999), 404, "Product not found."),
        (lambda pk: later(pk, 1, product_id=YEARLY), 402, "Invalid parameters. All items of a subscription share"),
        (lambda pk: later(pk, 0), 402, "Invalid parameters. Quantity must be positive."),
        (lambda pk: later(pk, 8) | {"SubscriptionId": "S1"}, 404, "Subscription not found."),
        (lambda pk: {k: v for k, v in later(pk, 8).items() if k != "ProductId"}, 400, "Missing required field."),
    ],
)
def test_refusals(api, monthly, payload, status, message):
    before = dump()
    response = api.post(UPDATE, payload(monthly.pk))
    assert response.status_code == status
    assert body_of(response)["ResultMessage"].startswith(message)
    assert dump() == before


def test_a_product_in_another_currency_only_is_refused(api, monthly):
    ProductFactory(id=293171, tiers={"EUR": [(1, "70.00")]})
    response = api.post(UPDATE, later(monthly.pk, 8, product_id=293171))
    assert response.status_code == 402
    assert "has no price in USD" in body_of(response)["ResultMessage"]


def test_a_product_no_longer_sold_cannot_be_switched_to(api, monthly):
    ProductFactory(id=293172, sold=False, tiers={"USD": [(1, "60.00")]})
    response = api.post(UPDATE, later(monthly.pk, 8, product_id=293172))
    assert response.status_code == 402
    assert body_of(response)["ResultMessage"] == "Invalid parameters. Product 293172 is no longer sold."


def test_a_subscription_that_is_not_active_is_refused(api, monthly):
    monthly.status = 3
    monthly.save()
    response = api.post(UPDATE, later(monthly.pk, 8))
    assert response.status_code == 402
    assert body_of(response)["ResultMessage"] == "Invalid parameters. Subscription is not active."


def test_apply_then_error_schedules_but_answers_an_error(api, monthly):
    api.control("post", "faults", {"method": UPDATE, "mode": "apply_then_error", "on": "commit"})

    assert api.post(UPDATE, later(monthly.pk, 8, preview=True)).status_code == 200
    assert api.post(UPDATE, later(monthly.pk, 8)).status_code == 500

    assert SubscriptionItem.objects.filter(is_current=False, quantity=8).exists()


def test_an_extension_of_another_item_moves_the_scheduled_change_with_the_billing_date(api, monthly):
    backup = ProductFactory(id=293161, name="Cloudify Backup", tiers={"USD": [(1, "15.00")]})
    SubscriptionItem.objects.create(
        subscription=monthly, running_no=2, product=backup, quantity=1, start_date=START, version_active_date=START
    )
    api.post(UPDATE, later(monthly.pk, 8))
    api.post("deactivatesubscriptionitems", {"SubscriptionId": f"S{monthly.pk}", "Items": [2]})
    ProductFactory(id=293162, tiers={"USD": [(1, "25.00")]})

    response = api.post("addsubscriptionitem", change(monthly.pk, 1, running_no=None, product_id=293162, extend=True))

    assert response.status_code == 200, response.content
    subscription = api.subscription(monthly.pk)
    moved = subscription["NextBillingDate"]
    assert moved == "2026-06-16T15:57:14.106747"
    assert versions(subscription)[1][4] == moved
    assert next(i for i in subscription["Items"] if i["RunningNo"] == 2)["DeactivationDate"] == moved
