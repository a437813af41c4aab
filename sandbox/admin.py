"""The sandbox's rows in the admin, read-mostly: the scenario files and the API are how data changes."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision
from django.contrib import admin

from sandbox.models import (
    Customer,
    Fault,
    NotificationDelivery,
    OutboxEmail,
    PriceTier,
    Product,
    Purchase,
    SandboxClock,
    Subscription,
    SubscriptionItem,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """View and delete only, so a demo cannot put the emulator into a state the vendor never would."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def money(amount: Decimal, currency: str) -> str:
    """ "$1,159.89": the stored three decimals rounded half-up to the currency's minor unit, with its symbol."""
    rounded = amount.quantize(Decimal(1).scaleb(-get_currency_precision(currency)), rounding=ROUND_HALF_UP)
    return format_currency(rounded, currency, locale="en_US")


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    extra = 0
    can_delete = False
    fields = ["currency", "first_seat", "unit_price"]
    readonly_fields = ["unit_price"]

    @admin.display(description="unit gross")
    def unit_price(self, tier):
        return money(tier.unit_gross, tier.currency)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class SubscriptionItemInline(PriceTierInline):
    model = SubscriptionItem
    fields = ["running_no", "version", "is_current", "product", "quantity", "status", "version_active_date"]
    readonly_fields = []


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "interval"]
    search_fields = ["name"]
    inlines = [PriceTierInline]


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["id", "email", "country", "vat_rate", "locale"]
    search_fields = ["email", "reference_id"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "customer", "currency", "interval", "status", "renewal_type", "next_billing_date"]
    list_filter = ["status", "renewal_type", "currency"]
    inlines = [SubscriptionItemInline]


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = ["vendor_id", "subscription", "running_no", "category", "gross_amount", "net_amount", "vat_amount"]
    list_filter = ["category", "currency"]
    fields = [
        "subscription",
        "item_version",
        "running_no",
        "interval_no",
        "category",
        "gross_amount",
        "net_amount",
        "vat_amount",
        "created_at",
    ]
    readonly_fields = ["gross_amount", "net_amount", "vat_amount"]

    @admin.display(description="gross", ordering="gross")
    def gross_amount(self, purchase):
        return money(purchase.gross, purchase.currency)

    @admin.display(description="net", ordering="net")
    def net_amount(self, purchase):
        return money(purchase.net, purchase.currency)

    @admin.display(description="VAT", ordering="vat")
    def vat_amount(self, purchase):
        return money(purchase.vat, purchase.currency)


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "to", "subject", "subscription"]
    search_fields = ["to", "subject"]


@admin.register(Fault)
class FaultAdmin(admin.ModelAdmin):
    list_display = ["method", "mode", "on", "remaining", "status", "delay_seconds"]


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "subscription",
        "purchase",
        "copy_no",
        "state",
        "attempts",
        "last_status",
        "next_attempt_at",
    ]
    list_filter = ["state", "kind"]


@admin.register(SandboxClock)
class SandboxClockAdmin(admin.ModelAdmin):
    list_display = ["__str__", "frozen_at", "offset_microseconds"]
