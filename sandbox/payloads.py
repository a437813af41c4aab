"""The vendor's JSON objects: field names and shapes of the API's answers (the primitives are in vendor_json)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sandbox import pricing
from sandbox.models import OutboxEmail, Purchase, Subscription, SubscriptionItem
from sandbox.services import ChangeQuote, SandboxError, billed_at_next, item_gross, scheduled_versions
from sandbox.vendor_json import vendor_time

REMINDER_BEFORE_BILLING = timedelta(days=2)


def money_fields(prefix: str, amount: pricing.Amount) -> dict[str, Decimal]:
    return {
        f"{prefix}CustomerGrossPrice": amount.gross,
        f"{prefix}CustomerNetPrice": amount.net,
        f"{prefix}CustomerVatPrice": amount.vat,
    }


def change_payload(quote: ChangeQuote) -> dict[str, Any]:
    return {
        **money_fields("Alignment", quote.alignment),
        **money_fields("NextBilling", quote.next_billing),
        **money_fields("NextRenewal", quote.next_renewal),
        "PriceCurrencyId": quote.currency,
        "ResultMessage": "OK",
    }


def self_service_url(subscription: Subscription) -> str:
    token = hashlib.sha256(f"sandbox-{subscription.pk}".encode()).hexdigest()[:16]
    return f"https://www.cleverbridge.com/864/s/s{subscription.pk}-{token}"


def _purchase_refs(version: SubscriptionItem, versions: list[SubscriptionItem], purchases: list[Purchase]) -> list:
    """A version's purchases: its own (new item, alignment) and the renewals billed while it was current."""
    later = [v for v in versions if v.running_no == version.running_no and v.version > version.version]
    ends = [v.version_active_date for v in later]
    if version.deactivation_date is not None:
        ends.append(version.deactivation_date)
    until = min(ends, default=None)
    refs = []
    for purchase in sorted(purchases, key=lambda p: p.pk):
        own = purchase.item_version_id == version.pk
        renewal = (
            purchase.item_version_id is None
            and purchase.created_at >= version.version_active_date
            and (until is None or purchase.created_at < until)
        )
        if own or renewal:
            refs.append(
                {
                    "PurchaseId": purchase.vendor_id,
                    "PurchaseItemRunningNo": 1 if own else version.running_no,
                    "SubscriptionIntervalNo": purchase.interval_no,
                    "BillingIntervalNo": purchase.interval_no,
                }
            )
    return refs


def subscription_payload(subscription: Subscription) -> dict[str, Any]:
    """The full Subscription object of the vendor's getsubscription answer."""
    currency = subscription.currency
    vat_rate = subscription.customer.vat_rate
    interval = subscription.billing_interval
    versions = list(subscription.item_versions.select_related("product").order_by("running_no", "version"))
    purchases = list(subscription.purchases.all())
    current = [v for v in versions if v.is_current]
    total = pricing.split_gross(
        billed_at_next(subscription, current, scheduled_versions(subscription)), vat_rate, currency
    )
    next_billing = subscription.next_billing_date

    items = []
    for version in versions:
        try:
            gross = item_gross(version, currency)
        except SandboxError:
            gross = Decimal(0)
        amount = pricing.split_gross(gross, vat_rate, currency)
        items.append(
            {
                "Couponcode": "",
                "DeactivationDate": vendor_time(version.deactivation_date),
                "EndDate": vendor_time(subscription.end_date),
                "IsCurrent": version.is_current,
                "LastIntervalNo": subscription.last_interval_no,
                "NextBillingCurrencyId": currency,
                **money_fields("NextBilling", amount),
                **money_fields("NextRenewal", amount),
                "ProductId": version.product_id,
                "ProductName": version.product.name,
                "ProductNameExtension": "",
                "PromotionId": None,
                "Quantity": version.quantity,
                "RecurrenceCount": None,
                "RunningNo": version.running_no,
                "StartDate": vendor_time(version.start_date),
                "Status": version.status,
                "SubscriptionId": subscription.pk,
                "SubscriptionPurchaseItems": _purchase_refs(version, versions, purchases),
                "Version": version.version,
                "VersionActiveDate": vendor_time(version.version_active_date),
            }
        )

    has_card = bool(subscription.card_expiry_month and subscription.card_expiry_year)
    return {
        "CustomerCurrencyId": currency,
        "CustomerId": subscription.customer_id,
        "CustomerReferenceId": subscription.customer.reference_id,
        "CustomerReferenceNo": "",
        "EndDate": vendor_time(subscription.end_date),
        "GracePeriodDays": 0,
        "Id": subscription.pk,
        "IntervalDayCount": interval.days,
        "IntervalMonthCount": interval.months,
        "BillingIntervalDayCount": 0,
        "BillingIntervalMonthCount": 0,
        "Items": items,
        "LastIntervalNo": subscription.last_interval_no,
        "LastBillingIntervalNo": subscription.last_interval_no,
        "NextBillingCurrencyId": currency,
        **money_fields("NextBilling", total),
        **money_fields("NextRenewal", total),
        "NextBillingDate": vendor_time(next_billing),
        "NextRenewalDate": vendor_time(next_billing),
        "NextBillingDateReminder": vendor_time(next_billing - REMINDER_BEFORE_BILLING) + "Z",
        "PaymentInfo": {
            "CardExpirationDate": (
                {"Month": subscription.card_expiry_month, "Year": subscription.card_expiry_year} if has_card else None
            ),
            "CardLastFourDigits": subscription.card_last_four or None,
            "Currency": None,
            "CurrencyId": None,
            "IsPurchaseOrder": None,
            "PaymentType": subscription.payment_type or None,
            "PaymentTypeId": subscription.payment_type_id or None,
        },
        "RenewalType": subscription.renewal_type,
        "StartDate": vendor_time(subscription.start_date),
        "StartIntervalDayCount": interval.days,
        "StartIntervalMonthCount": interval.months,
        "Subscriptionstatus": subscription.status,
        "ManagementModel": "One",
        "SelfServiceUrl": self_service_url(subscription),
    }


def purchase_payload(purchase: Purchase) -> dict[str, Any]:
    return {
        "PurchaseId": purchase.vendor_id,
        "SubscriptionId": purchase.subscription_id,
        "RunningNo": purchase.running_no,
        "IntervalNo": purchase.interval_no,
        "Category": purchase.category,
        "CurrencyId": purchase.currency,
        "GrossPrice": pricing.round_money(purchase.gross, purchase.currency),
        "NetPrice": pricing.round_money(purchase.net, purchase.currency),
        "VatPrice": pricing.round_money(purchase.vat, purchase.currency),
        "CreatedAt": vendor_time(purchase.created_at),
    }


def email_payload(email: OutboxEmail) -> dict[str, Any]:
    return {
        "Id": email.pk,
        "SubscriptionId": email.subscription_id,
        "To": email.to,
        "Subject": email.subject,
        "Body": email.body,
        "CreatedAt": vendor_time(email.created_at),
    }
