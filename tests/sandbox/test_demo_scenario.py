"""The demo scenario holds what the demo and the other suites rely on."""

from decimal import Decimal as D

from sandbox.clock import clock_now
from sandbox.models import Customer, Product, Subscription, SubscriptionStatus
from sandbox.services import card_expired_by, subscription_load
from tests.sandbox.api import body_of, change


def test_loading_the_demo_at_its_clock_reproduces_the_first_guide(api, demo):
    assert clock_now().isoformat() == "2026-04-24T16:01:10+00:00"
    body = body_of(api.post("increasesubscriptionitemquantity", change(68574751, 15, preview=True)))

    assert (body["AlignmentCustomerGrossPrice"], body["AlignmentCustomerNetPrice"]) == (D("1159.89"), D("974.70"))
    assert body["AlignmentCustomerVatPrice"] == D("185.19")


def test_the_demo_covers_the_cases_the_product_must_show(api, demo):
    anna = Customer.objects.get(pk=159215775)
    assert anna.subscriptions.count() >= 2
    assert Customer.objects.exclude(country__in=["DE", "FR", "AT"]).filter(vat_rate__lt=D("0.19")).exists()
    assert {"USD", "EUR", "JPY"} <= set(Subscription.objects.values_list("currency", flat=True))
    assert Subscription.objects.exclude(status=SubscriptionStatus.ACTIVE).exists()
    loaded = [subscription_load(subscription_id=pk) for pk in Subscription.objects.values_list("pk", flat=True)]
    assert any(card_expired_by(s, s.next_billing_date) and s.status == SubscriptionStatus.ACTIVE for s in loaded)
    for interval in ("P1M", "P1Y"):
        assert Product.objects.filter(interval=interval).count() >= 3


def test_the_yen_subscription_reads_without_decimals(api, demo):
    response = api.get("getsubscription", subscriptionId="S68900014")

    assert b'"NextBillingCustomerGrossPrice": 51500,' in response.content


def test_anna_has_a_deactivated_add_on_that_can_be_reactivated(api, demo):
    subscription = api.subscription(68841753)
    encryption = next(i for i in subscription["Items"] if i["RunningNo"] == 2)
    assert (encryption["ProductId"], encryption["Status"]) == (294836, 2)
    assert subscription["NextBillingCustomerGrossPrice"] == D("1200.00")  # not billed

    response = api.post("reinstatesubscriptionitems", {"SubscriptionId": "S68841753", "Items": [2]})

    assert response.status_code == 200, response.content
    assert api.subscription(68841753)["NextBillingCustomerGrossPrice"] == D("1320.00")


def test_the_monthly_plan_can_switch_to_a_cheaper_or_a_dearer_plan_at_the_billing_date(api, demo):
    """S68574751's Cloudify M (80.00) to Cloudify S (50.00) or Cloudify L (120.00 up to ten seats), same interval."""
    for product_id, gross in ((293150, D("500.00")), (293170, D("1200.00"))):
        payload = change(68574751, 10, product_id=product_id, preview=True, align=False)
        body = body_of(api.post("updatesubscriptionitem", payload))
        assert (body["AlignmentCustomerGrossPrice"], body["NextBillingCustomerGrossPrice"]) == (D("0.00"), gross)
