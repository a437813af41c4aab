"""Scenarios: a JSON description of vendor-side data, checked completely before any of it is applied."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction

from sandbox import pricing
from sandbox.clock import clock_freeze, parse_moment
from sandbox.models import (
    Customer,
    Fault,
    OutboxEmail,
    PriceTier,
    Product,
    Purchase,
    PurchaseCategory,
    RenewalType,
    SandboxClock,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
DEMO_SCENARIO = SCENARIO_DIR / "demo.json"


class ScenarioError(ValueError):
    """The scenario is not valid; `problems` lists every finding, so one run shows them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LoadSummary:
    products: int
    customers: int
    subscriptions: int
    clock: datetime | None

    def __str__(self) -> str:
        clock = f", clock frozen at {self.clock.isoformat()}" if self.clock else ""
        return f"{self.products} products, {self.customers} customers, {self.subscriptions} subscriptions{clock}"


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def integer(self, record: dict, key: str, where: str, *, required: bool = True, minimum: int = 1) -> int | None:
        value = record.get(key)
        if value is None:
            if required:
                self.fail(where, f"'{key}' is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(where, f"'{key}' must be a whole number >= {minimum}")
            return None
        return value

    def text(self, record: dict, key: str, where: str, *, required: bool = True, default: str = "") -> str:
        value = record.get(key)
        if value is None:
            if required:
                self.fail(where, f"'{key}' is required")
            return default
        if not isinstance(value, str):
            self.fail(where, f"'{key}' must be a string")
            return default
        return value

    def decimal(self, record: dict, key: str, where: str) -> Decimal | None:
        value = record.get(key)
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            self.fail(where, f"'{key}' must be a decimal string such as \"80.00\"")
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(where, f"'{key}' is not a number: {value!r}")
            return None
        if not number.is_finite() or number < 0:
            self.fail(where, f"'{key}' must be a non-negative number")
            return None
        return number

    def moment(self, record: dict, key: str, where: str) -> datetime | None:
        value = record.get(key)
        if not isinstance(value, str):
            self.fail(where, f"'{key}' must be an ISO 8601 timestamp")
            return None
        try:
            return parse_moment(value)
        except ValueError:
            self.fail(where, f"'{key}' is not an ISO 8601 timestamp: {value!r}")
            return None

    def records(self, data: dict, key: str) -> list[dict]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(record, dict) for record in value):
            self.fail(key, "must be a list of objects")
            return []
        return value


def _check(data: Any) -> dict[str, Any]:
    """Turn the raw JSON into clean records, or raise ScenarioError listing every problem."""
    check = _Checker()
    if not isinstance(data, dict):
        raise ScenarioError(["the scenario must be a JSON object"])
    unknown = set(data) - {"clock", "products", "customers", "subscriptions"}
    if unknown:
        check.fail("scenario", f"unknown keys {sorted(unknown)}")

    clock = None
    if data.get("clock") is not None:
        clock = check.moment(data, "clock", "clock")

    products: dict[int, dict] = {}
    for index, record in enumerate(check.records(data, "products")):
        where = f"products[{index}]"
        product_id = check.integer(record, "id", where)
        name = check.text(record, "name", where)
        interval = check.text(record, "interval", where)
        try:
            pricing.parse_interval(interval)
        except pricing.PricingError as error:
            check.fail(where, str(error))
        prices = record.get("prices")
        tiers: dict[str, list[tuple[int, Decimal]]] = {}
        if not isinstance(prices, dict) or not prices:
            check.fail(where, "'prices' must map currency codes to lists of tiers")
            prices = {}
        for currency, steps in prices.items():
            at = f"{where}.prices.{currency}"
            if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
                check.fail(at, "currency must be an ISO 4217 code such as USD")
                continue
            if not isinstance(steps, list) or not steps or not all(isinstance(step, dict) for step in steps):
                check.fail(at, "must be a non-empty list of {from, unit_gross}")
                continue
            parsed = []
            for step_index, step in enumerate(steps):
                step_at = f"{at}[{step_index}]"
                first_seat = check.integer(step, "from", step_at)
                unit_gross = check.decimal(step, "unit_gross", step_at)
                if unit_gross is not None and not pricing.is_on_minor_unit(unit_gross, currency):
                    check.fail(step_at, f"'unit_gross' has more decimals than {currency} allows")
                if first_seat is not None and unit_gross is not None:
                    parsed.append((first_seat, unit_gross))
            seats = [first_seat for first_seat, _ in parsed]
            if parsed and min(seats) != 1:
                check.fail(at, "the first tier must start at seat 1")
            if len(set(seats)) != len(seats):
                check.fail(at, "two tiers start at the same seat")
            tiers[currency] = parsed
        sold = record.get("sold", True)
        if not isinstance(sold, bool):
            check.fail(where, "'sold' must be true or false")
        if product_id is not None:
            if product_id in products:
                check.fail(where, f"product {product_id} appears twice")
            products[product_id] = {"id": product_id, "name": name, "interval": interval, "tiers": tiers, "sold": sold}

    customers: dict[int, dict] = {}
    for index, record in enumerate(check.records(data, "customers")):
        where = f"customers[{index}]"
        customer_id = check.integer(record, "id", where)
        email = check.text(record, "email", where)
        if email and "@" not in email:
            check.fail(where, f"'email' is not an e-mail address: {email!r}")
        country = check.text(record, "country", where)
        if country and not (len(country) == 2 and country.isalpha()):
            check.fail(where, "'country' must be a two-letter ISO 3166 code")
        vat_rate = check.decimal(record, "vat_rate", where) if "vat_rate" in record else Decimal(0)
        if vat_rate is not None and vat_rate >= 1:
            check.fail(where, "'vat_rate' is a fraction, e.g. \"0.19\" for 19 %")
        if customer_id is not None:
            if customer_id in customers:
                check.fail(where, f"customer {customer_id} appears twice")
            customers[customer_id] = {
                "id": customer_id,
                "email": email,
                "reference_id": check.text(record, "reference_id", where, required=False),
                "first_name": check.text(record, "first_name", where, required=False),
                "last_name": check.text(record, "last_name", where, required=False),
                "country": country.upper(),
                "vat_rate": vat_rate or Decimal(0),
                "locale": check.text(record, "locale", where, required=False, default="en"),
            }

    known_customers = set(customers)
    subscriptions: dict[int, dict] = {}
    for index, record in enumerate(check.records(data, "subscriptions")):
        where = f"subscriptions[{index}]"
        subscription_id = check.integer(record, "id", where)
        customer_id = check.integer(record, "customer_id", where)
        if (
            customer_id is not None
            and customer_id not in known_customers
            and not Customer.objects.filter(pk=customer_id).exists()
        ):
            check.fail(where, f"customer {customer_id} is unknown")
        currency = check.text(record, "currency", where)
        start = check.moment(record, "start", where)
        status = check.integer(record, "status", where, required=False) or SubscriptionStatus.ACTIVE
        if status not in SubscriptionStatus.values:
            check.fail(where, f"'status' must be one of {SubscriptionStatus.values}")
        renewal_type = check.text(record, "renewal_type", where, required=False, default=RenewalType.AUTOMATIC)
        if renewal_type not in RenewalType.values:
            check.fail(where, f"'renewal_type' must be one of {RenewalType.values}")
        payment = record.get("payment", {})
        if not isinstance(payment, dict):
            check.fail(where, "'payment' must be an object")
            payment = {}
        expires = check.text(payment, "expires", f"{where}.payment", required=False)
        expiry: tuple[int, int] | None = None
        if expires:
            try:
                year, month = (int(part) for part in expires.split("-"))
                if not 1 <= month <= 12:
                    raise ValueError(expires)
                expiry = (year, month)
            except ValueError:
                check.fail(f"{where}.payment", f"'expires' must look like 2027-12, not {expires!r}")
        items = []
        raw_items = record.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            check.fail(where, "'items' must be a non-empty list")
            raw_items = []
        intervals = set()
        for item_index, item in enumerate(raw_items):
            item_at = f"{where}.items[{item_index}]"
            if not isinstance(item, dict):
                check.fail(item_at, "must be an object")
                continue
            product_id = check.integer(item, "product_id", item_at)
            quantity = check.integer(item, "quantity", item_at)
            item_status = check.integer(item, "status", item_at, required=False)
            if item_status is not None and item_status not in (
                SubscriptionStatus.ACTIVE,
                SubscriptionStatus.DEACTIVATED,
            ):
                check.fail(item_at, "'status' must be 1 (Active) or 2 (Deactivated)")
            deactivation_date = None
            if item.get("deactivation_date") is not None:
                deactivation_date = check.moment(item, "deactivation_date", item_at)
            if product_id is None or quantity is None:
                continue
            stored = None if product_id in products else Product.objects.filter(pk=product_id).first()
            if product_id in products:
                product_interval = products[product_id]["interval"]
                has_price = currency in products[product_id]["tiers"]
            elif stored is not None:
                product_interval = stored.interval
                has_price = stored.prices.filter(currency=currency).exists()
            else:
                check.fail(item_at, f"product {product_id} is unknown")
                continue
            if not has_price:
                check.fail(item_at, f"product {product_id} has no price in {currency}")
            intervals.add(product_interval)
            items.append(
                {
                    "product_id": product_id,
                    "quantity": quantity,
                    "status": item_status,
                    "deactivation_date": deactivation_date,
                }
            )
        if len(intervals) > 1:
            check.fail(where, "all items of a subscription must share one billing interval")
        if subscription_id is not None:
            if subscription_id in subscriptions:
                check.fail(where, f"subscription {subscription_id} appears twice")
            subscriptions[subscription_id] = {
                "id": subscription_id,
                "customer_id": customer_id,
                "currency": currency,
                "start": start,
                "status": status,
                "renewal_type": renewal_type,
                "payment_type": check.text(payment, "type", f"{where}.payment", required=False),
                "payment_type_id": check.text(payment, "type_id", f"{where}.payment", required=False),
                "last_four": check.text(payment, "last_four", f"{where}.payment", required=False),
                "expiry": expiry,
                "interval": next(iter(intervals), ""),
                "items": items,
            }

    if check.problems:
        raise ScenarioError(check.problems)
    return {"clock": clock, "products": products, "customers": customers, "subscriptions": subscriptions}


def sandbox_reset() -> None:
    """Remove every sandbox row, the clock and pending faults included."""
    with transaction.atomic():
        for model in (OutboxEmail, Purchase, SubscriptionItem, Subscription, Customer, PriceTier, Product, Fault):
            model.objects.all().delete()
        SandboxClock.objects.all().delete()


def sandbox_is_empty() -> bool:
    return not (Product.objects.exists() or Customer.objects.exists() or Subscription.objects.exists())


def scenario_load(data: Any, *, reset: bool = False) -> LoadSummary:
    """Apply a scenario: upsert by id, all or nothing. A subscription given again is rebuilt from scratch
    (items, purchases and mails included), since the scenario defines its whole history."""
    with transaction.atomic():
        if reset:
            sandbox_reset()
        clean = _check(data)
        for product in clean["products"].values():
            stored, _ = Product.objects.update_or_create(
                pk=product["id"],
                defaults={"name": product["name"], "interval": product["interval"], "sold": product["sold"]},
            )
            stored.prices.all().delete()
            PriceTier.objects.bulk_create(
                PriceTier(product=stored, currency=currency, first_seat=first_seat, unit_gross=unit_gross)
                for currency, steps in product["tiers"].items()
                for first_seat, unit_gross in steps
            )
        for customer in clean["customers"].values():
            Customer.objects.update_or_create(
                pk=customer["id"], defaults={k: v for k, v in customer.items() if k != "id"}
            )
        for subscription in clean["subscriptions"].values():
            _subscription_create(subscription)
        if clean["clock"] is not None:
            clock_freeze(at=clean["clock"])
        return LoadSummary(
            products=len(clean["products"]),
            customers=len(clean["customers"]),
            subscriptions=len(clean["subscriptions"]),
            clock=clean["clock"],
        )


def _subscription_create(record: dict) -> Subscription:
    Subscription.objects.filter(pk=record["id"]).delete()
    expiry_year, expiry_month = record["expiry"] or (None, None)
    subscription = Subscription.objects.create(
        id=record["id"],
        customer_id=record["customer_id"],
        currency=record["currency"],
        interval=record["interval"],
        start_date=record["start"],
        billing_anchor=record["start"],
        status=record["status"],
        renewal_type=record["renewal_type"],
        payment_type=record["payment_type"],
        payment_type_id=record["payment_type_id"],
        card_last_four=record["last_four"],
        card_expiry_year=expiry_year,
        card_expiry_month=expiry_month,
    )
    vat_rate = subscription.customer.vat_rate
    for running_no, item in enumerate(record["items"], start=1):
        product = Product.objects.get(pk=item["product_id"])
        version = SubscriptionItem.objects.create(
            subscription=subscription,
            running_no=running_no,
            product=product,
            quantity=item["quantity"],
            status=item["status"] or record["status"],
            start_date=record["start"],
            version_active_date=record["start"],
            deactivation_date=item["deactivation_date"],
        )
        amount = pricing.split_gross(
            pricing.recurring_gross(product.tiers(subscription.currency), item["quantity"]),
            vat_rate,
            subscription.currency,
        )
        Purchase.objects.create(
            subscription=subscription,
            item_version=version,
            running_no=running_no,
            category=PurchaseCategory.NEW,
            currency=subscription.currency,
            gross=amount.gross,
            net=amount.net,
            vat=amount.vat,
            created_at=record["start"],
        )
    return subscription


def scenario_load_file(path: Path | str, *, reset: bool = False) -> LoadSummary:
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise ScenarioError([f"not valid JSON: {error}"]) from None
    return scenario_load(data, reset=reset)
