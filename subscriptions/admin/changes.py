"""Admin for the change catalog (editable, validated) and the money records (read-only)."""

from django.contrib import admin

from subscriptions.models import AddOn, CatalogProduct, Consent, CotermOffer, LedgerEntry, Quote


class CotermOfferInline(admin.TabularInline):
    model = CotermOffer
    extra = 0
    fields = ["label", "target_product_id", "add_seats", "max_total", "description", "active"]


class AddOnInline(admin.TabularInline):
    model = AddOn
    extra = 0
    fields = ["name", "vendor_product_id", "quantity", "description", "active"]


@admin.register(CatalogProduct)
class CatalogProductAdmin(admin.ModelAdmin):
    list_display = [
        "vendor_product_id",
        "name",
        "seats_offered",
        "min_seats_per_change",
        "max_seats_per_change",
        "max_total_seats",
    ]
    search_fields = ["name", "vendor_product_id"]
    inlines = [CotermOfferInline, AddOnInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of money and consent: visible to staff, never edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "subscription_id",
        "kind",
        "product_name",
        "quantity_before",
        "quantity_after",
        "charge_now_gross",
        "currency",
        "state",
        "needs_support",
        "purchase_id",
    ]
    list_filter = ["state", "needs_support", "kind", "currency"]
    search_fields = ["public_id", "subscription_id", "customer__email", "customer__vendor_id"]
    date_hierarchy = "created_at"


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["given_at", "customer", "quote", "text_version", "language", "ip"]
    search_fields = ["quote__public_id", "customer__email"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "subscription_id", "customer", "staff_user", "ip"]
    list_filter = ["action"]
    search_fields = ["subscription_id", "quote__public_id", "customer__email"]
    date_hierarchy = "created_at"
