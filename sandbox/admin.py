"""The sandbox's rows in the admin, read-mostly: the scenario files and the API are how data changes."""

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


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class SubscriptionItemInline(PriceTierInline):
    model = SubscriptionItem
    fields = ["running_no", "version", "is_current", "product", "quantity", "status", "version_active_date"]


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
    list_display = ["vendor_id", "subscription", "running_no", "category", "gross", "net", "vat", "currency"]
    list_filter = ["category", "currency"]


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
