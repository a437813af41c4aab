"""Admin for customers, sign-in links (read-only) and portal API keys (raw key shown once)."""

from django.contrib import admin, messages
from django.utils import timezone

from subscriptions.models import Customer, PortalKey, SignInLink

__all__: list[str] = []


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["vendor_id", "email", "locale", "created_at", "last_sign_in_at"]
    search_fields = ["=vendor_id", "email"]
    readonly_fields = ["created_at", "last_sign_in_at"]


@admin.register(SignInLink)
class SignInLinkAdmin(admin.ModelAdmin):
    """Links are evidence of who signed in when; nobody edits them."""

    list_display = ["kind", "vendor_customer_id", "email", "created_at", "expires_at", "used_at"]
    list_filter = ["kind", ("used_at", admin.EmptyFieldListFilter)]
    search_fields = ["=vendor_customer_id", "email"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PortalKey)
class PortalKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return ["name"] if obj is None else ["name", "prefix", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        raw = obj.set_new_key()
        super().save_model(request, obj, form, change)
        messages.warning(
            request,
            f"The new key for “{obj.name}” is {raw} — copy it now; it is not stored and will not be shown again.",
        )

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} key(s) revoked.")
