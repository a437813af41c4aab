"""The vendor's subscription notifications besides paid orders become SubscriptionEvents; anything else is Malformed."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from subscriptions.cleverbridge import EVENT_TYPES, SubscriptionEvent, parse_subscription_event
from subscriptions.cleverbridge.payloads import Malformed, load

DATE = "2026-05-23T15:57:20.000000"
WHEN = datetime(2026, 5, 23, 15, 57, 20, tzinfo=UTC)


def meta(kind: str) -> dict:
    return {
        "type": kind,
        "date": DATE,
        "schemaUrl": f"https://www.cleverbridge.com/JsonNotificationSchemas/{kind}",
    }


def renewal_type_changed(renewal_type="Manual", subscription_id="S68574751") -> dict:
    return {
        "meta": meta("SubscriptionRenewalTypeChangedNotification"),
        "subscriptionId": subscription_id,
        "renewalType": renewal_type,
    }


def money_back(kind: str, **overrides) -> dict:
    data = {
        "meta": meta(kind),
        "purchaseId": 538990001,
        "subscriptionId": 68574751,
        "subscriptionItemRunningNo": 1,
        "currencyId": "usd",
        "grossAmount": Decimal("1159.89"),
    }
    data.update(overrides)
    return data


def test_the_types_handled():
    assert EVENT_TYPES == (
        "SubscriptionRenewalTypeChangedNotification",
        "RecurringBillingCanceledNotification",
        "RecurringBillingReinstatedNotification",
        "RefundNotification",
        "ChargebackNotification",
    )


@pytest.mark.parametrize("renewal_type", ["Manual", "manual", "AUTOMATIC"])
def test_renewal_type_changed(renewal_type):
    event = parse_subscription_event(renewal_type_changed(renewal_type))
    assert event == SubscriptionEvent(
        type="SubscriptionRenewalTypeChangedNotification",
        subscription_id=68574751,
        purchase_id=None,
        running_no=None,
        renewal_type=renewal_type.capitalize(),
        amount=None,
        currency="",
        date=WHEN,
    )


def test_recurring_billing_canceled():
    event = parse_subscription_event({"meta": meta("RecurringBillingCanceledNotification"), "subscriptionId": 68574751})
    assert (event.type, event.subscription_id, event.date) == ("RecurringBillingCanceledNotification", 68574751, WHEN)
    assert event.purchase_id is None and event.running_no is None and event.renewal_type == ""


def test_recurring_billing_reinstated_names_its_items():
    event = parse_subscription_event(
        {"meta": meta("RecurringBillingReinstatedNotification"), "subscriptionId": "S68574751", "items": [2, 3]}
    )
    assert (event.subscription_id, event.running_nos, event.running_no) == (68574751, (2, 3), 2)


@pytest.mark.parametrize("kind", ["RefundNotification", "ChargebackNotification"])
def test_refund_and_chargeback_name_the_purchase_and_the_money(kind):
    body = load(
        json.dumps(money_back(kind, currencyId="USD", grossAmount=0)).replace(
            '"grossAmount": 0', '"grossAmount": 1159.89'
        )
    )
    event = parse_subscription_event(body)
    assert event == SubscriptionEvent(
        type=kind,
        subscription_id=68574751,
        purchase_id=538990001,
        running_no=1,
        renewal_type="",
        amount=Decimal("1159.89"),
        currency="USD",
        date=WHEN,
    )
    assert str(event.amount) == "1159.89"  # read as Decimal from the JSON text, never through float


def test_a_purchase_shaped_refund_names_its_subscription_in_its_items():
    data = money_back("RefundNotification")
    del data["subscriptionId"], data["subscriptionItemRunningNo"]
    data["items"] = [{"recurringBilling": {"subscriptionId": "S68574751", "subscriptionItemRunningNo": 2}}]
    event = parse_subscription_event(data)
    assert (event.subscription_id, event.running_no) == (68574751, 2)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        pytest.param({"subscriptionId": 1}, "meta", id="no-meta"),
        pytest.param(
            {"meta": meta("PaidOrderNotification"), "subscriptionId": 1}, "not a subscription event", id="paid"
        ),
        pytest.param({"meta": meta("SomethingElse"), "subscriptionId": 1}, "not a subscription event", id="unknown"),
        pytest.param({"meta": meta("RecurringBillingCanceledNotification")}, "subscriptionId", id="no-subscription"),
        pytest.param(
            {"meta": meta("RecurringBillingCanceledNotification"), "subscriptionId": "S12x"},
            "subscriptionId",
            id="bad-subscription",
        ),
        pytest.param(renewal_type_changed(renewal_type=""), "renewalType", id="no-renewal-type"),
        pytest.param(renewal_type_changed(renewal_type="Sometimes"), "renewalType", id="odd-renewal-type"),
        pytest.param(money_back("RefundNotification", purchaseId=None), "purchaseId", id="refund-no-purchase"),
        pytest.param(money_back("ChargebackNotification", grossAmount="lots"), "grossAmount", id="bad-amount"),
        pytest.param(money_back("RefundNotification", subscriptionId=2**63), "out of range", id="huge-id"),
        pytest.param(
            {"meta": {**meta("RefundNotification"), "date": "yesterday"}, "purchaseId": 1, "subscriptionId": 1},
            "meta.date",
            id="bad-date",
        ),
        pytest.param(
            {"meta": meta("RecurringBillingReinstatedNotification"), "subscriptionId": 1, "items": ["two"]},
            "items[0]",
            id="bad-item",
        ),
    ],
)
def test_what_cannot_be_read_is_malformed(data, why):
    with pytest.raises(Malformed, match=why.replace("[", r"\[").replace("]", r"\]")):
        parse_subscription_event(data)


def purchase_model(kind: str, *billings: dict, **top) -> dict:
    """The vendor's Purchase Model: the subscription is named in each item's recurringBilling."""
    return {
        "meta": meta(kind),
        "purchaseId": 538988784,
        "items": [{"runningNumber": n, "recurringBilling": billing} for n, billing in enumerate(billings, start=1)],
        **top,
    }


def test_the_vendors_renewal_type_shape():
    data = purchase_model(
        "SubscriptionRenewalTypeChangedNotification",
        {"subscriptionId": "S68574751", "subscriptionItemRunningNo": 1, "renewalType": "Manual"},
    )
    event = parse_subscription_event(data)
    assert (event.subscription_id, event.renewal_type, event.purchase_id, event.running_no) == (
        68574751,
        "Manual",
        538988784,
        1,
    )


def test_the_vendors_reinstatement_names_each_item():
    data = purchase_model(
        "RecurringBillingReinstatedNotification",
        {"subscriptionId": "S68574751", "subscriptionItemRunningNo": 2},
        {"subscriptionId": "S68574751", "subscriptionItemRunningNo": 3},
    )
    assert parse_subscription_event(data).running_nos == (2, 3)


@pytest.mark.parametrize("kind", ["RefundNotification", "ChargebackNotification"])
def test_the_vendors_reimbursement_shape_keeps_the_purchase_under_purchase(kind):
    data = {
        "meta": meta(kind),
        "purchase": {
            "purchaseId": 538990001,
            "reimbursementId": 3585554,
            "statusId": "REF",
            "currencyId": "EUR",
            "totalGrossPrice": Decimal("99.90"),
            "items": [{"recurringBilling": {"subscriptionId": "S68574751", "subscriptionItemRunningNo": 1}}],
        },
    }
    event = parse_subscription_event(data)
    assert (event.purchase_id, event.subscription_id, event.running_no) == (538990001, 68574751, 1)
    assert (event.amount, event.currency) == (Decimal("99.90"), "EUR")


def test_a_recurring_billing_that_is_not_an_object_is_malformed():
    data = purchase_model("RecurringBillingCanceledNotification", {"subscriptionId": 1})
    data["items"][0]["recurringBilling"] = "S1"
    with pytest.raises(Malformed, match="recurringBilling"):
        parse_subscription_event(data)
