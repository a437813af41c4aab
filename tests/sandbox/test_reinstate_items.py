"""reinstatesubscriptionitems: a deactivated item comes back (billed from the next billing date), or a scheduled
deactivation is withdrawn."""

import json
from decimal import Decimal as D

import pytest

from sandbox.models import NotificationDelivery, OutboxEmail, Product, Purchase, SubscriptionItem
from tests.sandbox.api import body_of
from tests.sandbox.test_changes import dump
from tests.sandbox.test_deactivate_items import BACKUP, DEACTIVATE, bundle, deactivate, item  # noqa: F401

REINSTATE = "reinstatesubscriptionitems"


def reinstate(subscription_id, items, mail=False) -> dict:
    return {"SubscriptionId": f"S{subscription_id}", "Items": items, "GenerateMail": mail}


@pytest.fixture
def deactivated(api, bundle):  # noqa: F811
    """Backup deactivated at the billing date of 2026-05-23; sandbox time a day later."""
    api.post(DEACTIVATE, deactivate(bundle.pk, [2]))
    api.set_clock("2026-05-24T00:00:00Z")
    assert item(api.subscription(bundle.pk), 2)["Status"] == 2
    return bundle


def test_a_deactivated_item_is_active_again_and_billed_from_the_next_billing_date(api, deactivated):
    response = api.post(REINSTATE, reinstate(deactivated.pk, [2]))

    assert response.status_code == 200 and body_of(response) == {"ResultMessage": "OK"}
    subscription = api.subscription(deactivated.pk)
    backup = item(subscription, 2)
    assert (backup["Status"], backup["DeactivationDate"]) == (1, None)
    assert subscription["NextBillingCustomerGrossPrice"] == D("870.00")
    assert not Purchase.objects.filter(category="Alignment").exists()  # nothing charged now
    api.set_clock("2026-06-24T00:00:00Z")
    api.subscription(deactivated.pk)
    renewals = Purchase.objects.filter(category="Renewal").order_by("created_at").values_list("gross", flat=True)
    assert list(renewals) == [D("825.00"), D("870.00")]


def test_a_scheduled_deactivation_is_withdrawn(api, bundle):  # noqa: F811
    api.post(DEACTIVATE, deactivate(bundle.pk, [2]))

    assert api.post(REINSTATE, reinstate(bundle.pk, [2])).status_code == 200

    subscription = api.subscription(bundle.pk)
    assert (item(subscription, 2)["Status"], item(subscription, 2)["DeactivationDate"]) == (1, None)
    assert subscription["NextBillingCustomerGrossPrice"] == D("870.00")
    api.set_clock("2026-05-24T00:00:00Z")
    assert item(api.subscription(bundle.pk), 2)["Status"] == 1
    assert Purchase.objects.get(category="Renewal").gross == D("870.00")


def test_the_vendor_notifies_the_reinstatement(api, deactivated):
    api.post(REINSTATE, reinstate(deactivated.pk, [2]))

    delivery = NotificationDelivery.objects.get()
    assert (delivery.kind, delivery.subscription_id, delivery.purchase) == (
        "RecurringBillingReinstatedNotification",
        deactivated.pk,
        None,
    )
    payload = json.loads(delivery.body)
    assert payload["meta"]["type"] == "RecurringBillingReinstatedNotification"
    assert payload["meta"]["date"] == "2026-05-24T00:00:00.000000"
    (entry,) = payload["items"]  # only the items reinstated
    assert (entry["productId"], entry["quantity"]) == (BACKUP, 3)
    assert entry["recurringBilling"]["subscriptionId"] == f"S{deactivated.pk}"
    assert entry["recurringBilling"]["subscriptionItemRunningNo"] == 2


def test_the_confirmation_mail(api, deactivated):
    api.post(REINSTATE, reinstate(deactivated.pk, [2], mail=True))
    assert "Cloudify Backup is active again" in OutboxEmail.objects.get().body


def test_an_active_item_with_nothing_scheduled_is_refused(api, bundle):  # noqa: F811
    before = dump()
    response = api.post(REINSTATE, reinstate(bundle.pk, [2]))
    assert response.status_code == 402
    assert body_of(response)["ResultMessage"] == "Invalid parameters. Item is not deactivated."
    assert dump() == before
    assert not NotificationDelivery.objects.exists()


def test_a_product_no_longer_sold_is_refused(api, deactivated):
    Product.objects.filter(pk=BACKUP).update(sold=False)
    response = api.post(REINSTATE, reinstate(deactivated.pk, [2]))
    assert response.status_code == 402
    assert body_of(response)["ResultMessage"] == f"Invalid parameters. Product {BACKUP} is no longer sold."
    assert SubscriptionItem.objects.get(running_no=2).status == 2


def test_all_or_nothing(api, deactivated):
    response = api.post(REINSTATE, reinstate(deactivated.pk, [2, 3]))
    assert response.status_code == 402
    assert SubscriptionItem.objects.get(running_no=2).status == 2


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        (lambda pk: reinstate(pk, [9]), 404, "Item not found"),
        (lambda pk: reinstate(1, [2]), 404, "Subscription not found."),
        (lambda pk: {"SubscriptionId": f"S{pk}"}, 400, "Missing required field."),
        (lambda pk: reinstate(pk, []), 400, "Invalid field type: Items."),
        (lambda pk: reinstate("x", [2]), 400, "Invalid field type: SubscriptionId."),
    ],
)
def test_refusals(api, deactivated, payload, status, message):
    response = api.post(REINSTATE, payload(deactivated.pk))
    assert (response.status_code, body_of(response)["ResultMessage"]) == (status, message)
    assert SubscriptionItem.objects.get(running_no=2).status == 2


def test_a_subscription_that_is_not_active_is_refused(api, deactivated):
    deactivated.status = 3
    deactivated.save()
    response = api.post(REINSTATE, reinstate(deactivated.pk, [2]))
    assert response.status_code == 402
    assert body_of(response)["ResultMessage"] == "Invalid parameters. Subscription is not active."


def test_faults_apply(api, deactivated):
    api.control("post", "faults", {"method": REINSTATE, "mode": "error", "on": "commit", "status": 500})
    assert api.post(REINSTATE, reinstate(deactivated.pk, [2])).status_code == 500
    assert SubscriptionItem.objects.get(running_no=2).status == 2
    api.control("post", "faults", {"method": REINSTATE, "mode": "apply_then_error", "on": "commit"})
    assert api.post(REINSTATE, reinstate(deactivated.pk, [2])).status_code == 500
    assert SubscriptionItem.objects.get(running_no=2).status == 1
