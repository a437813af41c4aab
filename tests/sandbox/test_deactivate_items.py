"""deactivatesubscriptionitems: items end at the next billing date, still billed until then; one item must stay."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from sandbox.clock import clock_freeze
from sandbox.models import Fault, NotificationDelivery, OutboxEmail, Purchase, SubscriptionItem
from tests.sandbox.api import body_of, change
from tests.sandbox.factories import ProductFactory, SubscriptionFactory
from tests.sandbox.test_changes import dump

START = datetime(2026, 4, 23, 15, 57, 14, 106747, tzinfo=UTC)
NEXT_BILLING = "2026-05-23T15:57:14.106747"
DEACTIVATE = "deactivatesubscriptionitems"
M, BACKUP, SUPPORT = 293160, 293161, 293162


def deactivate(subscription_id, items, mail=False) -> dict:
    return {"SubscriptionId": f"S{subscription_id}", "Items": items, "GenerateMail": mail}


def item(subscription: dict, running_no: int) -> dict:
    return next(i for i in subscription["Items"] if i["RunningNo"] == running_no and i["IsCurrent"])


@pytest.fixture
def bundle(db):
    """Ten seats of Cloudify M (800.00) with Backup (3 x 15.00) and Priority Support (25.00), a week before billing."""
    plan = ProductFactory(id=M, name="Cloudify M", tiers={"USD": [(1, "80.00")]})
    backup = ProductFactory(id=BACKUP, name="Cloudify Backup", tiers={"USD": [(1, "15.00")]})
    support = ProductFactory(id=SUPPORT, name="Cloudify Priority Support", tiers={"USD": [(1, "25.00")]})
    subscription = SubscriptionFactory(id=68574751, start=START, items=[(plan, 10), (backup, 3), (support, 1)])
    clock_freeze(at=START + timedelta(days=23))
    return subscription


def test_an_item_ends_at_the_next_billing_date_and_is_billed_until_then(api, bundle):
    response = api.post(DEACTIVATE, deactivate(bundle.pk, [2]))

    assert response.status_code == 200
    assert body_of(response) == {"ResultMessage": "OK"}
    subscription = api.subscription(bundle.pk)
    backup = item(subscription, 2)
    assert (backup["Status"], backup["DeactivationDate"]) == (1, NEXT_BILLING)
    assert backup["NextBillingCustomerGrossPrice"] == D("45.00")  # the item's own price, still shown
    assert item(subscription, 1)["DeactivationDate"] is None
    assert subscription["NextBillingCustomerGrossPrice"] == D("825.00")  # what the billing date charges: 800 + 25
    assert not Purchase.objects.exclude(category="New").exists()
    assert not NotificationDelivery.objects.exists()


def test_at_the_billing_date_the_item_is_deactivated_and_not_billed(api, bundle):
    api.post(DEACTIVATE, deactivate(bundle.pk, [2]))
    api.set_clock("2026-05-24T00:00:00Z")

    subscription = api.subscription(bundle.pk)

    backup = item(subscription, 2)
    assert (backup["Status"], backup["DeactivationDate"]) == (2, NEXT_BILLING)
    assert item(subscription, 1)["Status"] == 1
    assert Purchase.objects.get(category="Renewal").gross == D("825.00")
    assert subscription["NextBillingCustomerGrossPrice"] == D("825.00")
    assert not [r for r in backup["SubscriptionPurchaseItems"] if r["SubscriptionIntervalNo"] == 1]


def test_several_items_at_once(api, bundle):
    assert api.post(DEACTIVATE, deactivate(bundle.pk, [2, 3])).status_code == 200
    subscription = api.subscription(bundle.pk)
    assert [item(subscription, n)["DeactivationDate"] for n in (1, 2, 3)] == [None, NEXT_BILLING, NEXT_BILLING]
    assert subscription["NextBillingCustomerGrossPrice"] == D("800.00")


def test_deactivating_again_changes_nothing(api, bundle):
    api.post(DEACTIVATE, deactivate(bundle.pk, [2]))
    before = dump()
    assert api.post(DEACTIVATE, deactivate(bundle.pk, [2], mail=True)).status_code == 200
    assert dump() == before


def test_the_confirmation_mail(api, bundle):
    api.post(DEACTIVATE, deactivate(bundle.pk, [2], mail=True))
    mail = OutboxEmail.objects.get()
    assert "Cloudify Backup ends on 2026-05-23" in mail.body


@pytest.mark.parametrize(
    ("running_nos", "earlier"),
    [
        pytest.param([1, 2, 3], [], id="all-at-once"),
        pytest.param([1], [[2, 3]], id="the-last-one-left"),
        pytest.param([1, 3], [[2]], id="the-rest"),
    ],
)
def test_at_least_one_item_must_stay_active(api, bundle, running_nos, earlier):
    for items in earlier:
        assert api.post(DEACTIVATE, deactivate(bundle.pk, items)).status_code == 200
    before = dump()

    response = api.post(DEACTIVATE, deactivate(bundle.pk, running_nos))

    assert response.status_code == 402
    assert body_of(response)["ResultMessage"] == "Invalid parameters. At least one item must stay active."
    assert dump() == before


def test_a_deactivated_item_does_not_count_as_staying(api, bundle):
    api.post(DEACTIVATE, deactivate(bundle.pk, [2, 3]))
    api.set_clock("2026-05-24T00:00:00Z")
    response = api.post(DEACTIVATE, deactivate(bundle.pk, [1]))
    assert response.status_code == 402


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        (lambda pk: deactivate(pk, [9]), 404, "Item not found"),
        (lambda pk: deactivate(pk, [2, 9]), 404, "Item not found"),
        (lambda pk: deactivate(1, [2]), 404, "Subscription not found."),
        (lambda pk: {"SubscriptionId": f"S{pk}"}, 400, "Missing required field."),
        (lambda pk: {"Items": [2]}, 400, "Missing required field."),
        (lambda pk: deactivate(pk, []), 400, "Invalid field type: Items."),
        (lambda pk: deactivate(pk, 2), 400, "Invalid field type: Items."),
        (lambda pk: deactivate(pk, ["2"]), 400, "Invalid field type: Items."),
        (lambda pk: deactivate(pk, [2, 2]), 400, "Invalid field type: Items."),
        (lambda pk: deactivate(pk, [True]), 400, "Invalid field type: Items."),
        (lambda pk: deactivate(pk, [2]) | {"GenerateMail": "yes"}, 400, "Invalid field type: GenerateMail."),
    ],
)
def test_refusals(api, bundle, payload, status, message):
    before = dump()
    response = api.post(DEACTIVATE, payload(bundle.pk))
    assert response.status_code == status
    assert body_of(response)["ResultMessage"] == message
    assert dump() == before


def test_a_subscription_that_is_not_active_is_refused(api, bundle):
    bundle.status = 5
    bundle.save()
    response = api.post(DEACTIVATE, deactivate(bundle.pk, [2]))
    assert response.status_code == 402
    assert body_of(response)["ResultMessage"] == "Invalid parameters. Subscription is not active."


def test_an_item_already_deactivated_is_refused(api, bundle):
    SubscriptionItem.objects.filter(running_no=2).update(status=2)
    response = api.post(DEACTIVATE, deactivate(bundle.pk, [2]))
    assert (response.status_code, body_of(response)["ResultMessage"]) == (
        402,
        "Invalid parameters. Item is not active.",
    )


def test_an_item_with_a_scheduled_change_is_refused(api, bundle):
    api.post(
        "updatesubscriptionitem",
        change(bundle.pk, 1, running_no=2, product_id=BACKUP, align=False) | {"UpdateAction": "Downgrade"},
    )
    response = api.post(DEACTIVATE, deactivate(bundle.pk, [2]))
    assert response.status_code == 402
    assert (
        body_of(response)["ResultMessage"] == "Invalid parameters. A change is scheduled for this item; undo it first."
    )


def test_an_item_whose_removal_is_scheduled_cannot_be_changed(api, bundle):
    api.post(DEACTIVATE, deactivate(bundle.pk, [2]))
    for response in (
        api.post("increasesubscriptionitemquantity", change(bundle.pk, 1, running_no=2)),
        api.post("updatesubscriptionitem", change(bundle.pk, 1, running_no=2, product_id=BACKUP, align=False)),
    ):
        assert response.status_code == 402
        assert body_of(response)["ResultMessage"] == (
            "Invalid parameters. The item's deactivation is scheduled; reinstate it first."
        )


@pytest.mark.parametrize("mode", ["error", "malformed"])
def test_faults_apply_to_the_method_and_nothing_changes(api, bundle, mode):
    api.control("post", "faults", {"method": DEACTIVATE, "mode": mode, "on": "commit"})

    response = api.post(DEACTIVATE, deactivate(bundle.pk, [2]))

    assert response.status_code == (500 if mode == "error" else 200)
    assert b'"OK"' not in response.content
    assert SubscriptionItem.objects.get(running_no=2).deactivation_date is None
    assert not Fault.objects.exists()


def test_apply_then_error_deactivates_but_answers_an_error(api, bundle):
    api.control("post", "faults", {"method": DEACTIVATE, "mode": "apply_then_error", "status": 502})
    assert api.post(DEACTIVATE, deactivate(bundle.pk, [2])).status_code == 502
    assert SubscriptionItem.objects.get(running_no=2).deactivation_date is not None


def test_a_wildcard_fault_hits_the_method(api, bundle):
    api.control("post", "faults", {"method": "*", "mode": "error", "status": 503})
    assert api.post(DEACTIVATE, deactivate(bundle.pk, [2])).status_code == 503
