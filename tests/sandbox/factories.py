"""Vendor-side data for any test suite: products with price tiers, customers, subscriptions with items.

    product = ProductFactory(tiers={"USD": [(1, "80.00")]})          # 80.00 per seat and month
    subscription = SubscriptionFactory(items=[(product, 10)], start=...)

A subscription's interval is its first item's product interval; its billing anchor is its start.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import factory

from sandbox.models import Customer, PriceTier, Product, Subscription, SubscriptionItem


class ProductFactory(factory.django.DjangoModelFactory):
    """`tiers` maps a currency to (first seat, unit gross) pairs; default 80.00 USD per seat."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    id = factory.Sequence(lambda n: 300000 + n)
    name = factory.Sequence(lambda n: f"Cloudify Test {n}")
    interval = "P1M"

    @factory.post_generation
    def tiers(self, create: bool, extracted: dict[str, list[tuple[int, str]]] | None, **kwargs) -> None:
        for currency, steps in (extracted or {"USD": [(1, "80.00")]}).items():
            for first_seat, unit_gross in steps:
                PriceTier.objects.create(
                    product=self, currency=currency, first_seat=first_seat, unit_gross=Decimal(unit_gross)
                )


class CustomerFactory(factory.django.DjangoModelFactory):
    """A German customer paying 19 % VAT, like the guides' customer."""

    class Meta:
        model = Customer

    id = factory.Sequence(lambda n: 160000000 + n)
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    reference_id = factory.Sequence(lambda n: f"ref-{n}")
    country = "DE"
    vat_rate = Decimal("0.19")
    locale = "de"


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """`items` is a list of (product, quantity); by default ten seats of a fresh 80.00 USD monthly product."""

    class Meta:
        model = Subscription
        skip_postgeneration_save = True

    class Params:
        start = datetime(2026, 4, 23, 15, 57, 14, 106747, tzinfo=UTC)

    id = factory.Sequence(lambda n: 69000000 + n)
    customer = factory.SubFactory(CustomerFactory)
    currency = "USD"
    interval = "P1M"
    start_date = factory.SelfAttribute("start")
    billing_anchor = factory.SelfAttribute("start")
    card_last_four = "765T"
    card_expiry_month = 12
    card_expiry_year = 2099

    @factory.post_generation
    def items(self, create: bool, extracted: list[tuple[Product, int]] | None, **kwargs) -> None:
        for running_no, (product, quantity) in enumerate(extracted or [(ProductFactory(), 10)], start=1):
            if running_no == 1 and product.interval != self.interval:
                self.interval = product.interval
                self.save(update_fields=["interval"])
            SubscriptionItem.objects.create(
                subscription=self,
                running_no=running_no,
                product=product,
                quantity=quantity,
                start_date=self.start_date,
                version_active_date=self.start_date,
            )
