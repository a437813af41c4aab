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
