"""Admin for customers (with their live subscriptions, changes and agent-assisted changes), sign-in links
(read-only) and portal API keys (raw key shown once).

Reading a customer's subscriptions at the vendor and preparing a change for them are written to the
ledger (`subscriptions.assisted`); a vendor failure is shown as a message, never as an error page.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from subscriptions import assisted, formatting, services
from subscriptions.admin.changes import charged_now
from subscriptions.admin.site import IdSearchMixin, ReadOnlyAdmin, ReadOnlyMixin
from subscriptions.catalog import offers_for
from subscriptions.cleverbridge import CleverbridgeError
from subscriptions.forms import ChangeRequestForm
from subscriptions.models import AssistedChange, CancelReason, ChangeKind, Customer, PortalKey, Quote, SignInLink

__all__: list[str] = []


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _reason(request) -> dict[str, str]:
    """The customer's reason for cancelling, as the agent noted it (checked by the service)."""
    return {
        "reason_code": request.POST.get("reason_code", ""),
        "reason_text": request.POST.get("reason_text", ""),
    }


def _vendor_problem(request, exc: Exception) -> None:
    if isinstance(exc, CleverbridgeError):
        text = f"The vendor could not be reached or refused the request: {exc.message}. Nothing was changed."
    else:
        text = f"The vendor's API is not configured: {exc}."
    messages.error(request, text)


class QuoteInline(ReadOnlyMixin, admin.TabularInline):
    """Every change of the customer, newest first; open one for its ledger."""

    model = Quote
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["created_at", "subscription_id", "kind", "product_name", "quantity_after", "charged_now", "status"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    verbose_name_plural = "changes"

    @admin.display(description="state")
    def status(self, quote):
        return formatting.staff_state_label(quote.shown_state)

    @admin.display(description="Charged now")
    def charged_now(self, quote):
        return charged_now(quote)


class FindCustomerForm(forms.Form):
    email = forms.EmailField(required=False, label="E-mail address")
    customer_id = forms.IntegerField(required=False, min_value=1, label="Vendor customer id")

    def clean(self):
        data = super().clean()
        if bool(data.get("email")) == bool(data.get("customer_id")):
            raise forms.ValidationError("Give either an e-mail address or a customer id.")
        return data


@admin.register(Customer)
class CustomerAdmin(IdSearchMixin, admin.ModelAdmin):
    list_display = ["vendor_id", "email", "sign_ins", "last_sign_in_at", "changes", "created_at"]
    search_fields = ["email"]
    search_help_text = "E-mail or vendor customer id. Not here yet? Use “Find at the vendor”."
    text_search_fields = ("email",)
    number_search_fields = ("vendor_id",)
    readonly_fields = ["created_at", "last_sign_in_at", "sign_ins"]
    inlines = [QuoteInline]
    change_form_template = "admin/subscriptions/customer/change_form.html"
    change_list_template = "admin/subscriptions/customer/change_list.html"

    def get_queryset(self, request):
        used_links = (
            SignInLink.objects.filter(vendor_customer_id=OuterRef("vendor_id"), used_at__isnull=False)
            .order_by()
            .values("vendor_customer_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(_sign_ins=Coalesce(Subquery(used_links), 0), _changes=Count("quotes", distinct=True))
        )

    @admin.display(description="sign-ins", ordering="_sign_ins")
    def sign_ins(self, customer):
        return getattr(customer, "_sign_ins", None)

    @admin.display(description="changes", ordering="_changes")
    def changes(self, customer):
        return getattr(customer, "_changes", None)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("find/", wrap(self.find_view), name="subscriptions_customer_find"),
            path("<int:object_id>/prepare/", wrap(self.prepare_view), name="subscriptions_customer_prepare"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        customer = self.get_object(request, object_id)
        can_read_live = request.user.has_perm("subscriptions.view_live_subscription")
        if request.method == "GET" and customer is not None and can_read_live:
            try:
                extra_context["live_subscriptions"] = assisted.live_subscriptions_read(
                    customer=customer, staff_user=request.user, ip=_ip(request)
                )
            except (CleverbridgeError, ImproperlyConfigured) as exc:
                _vendor_problem(request, exc)
                extra_context["live_failed"] = True
        extra_context["can_read_live"] = can_read_live
        extra_context["can_prepare"] = request.user.has_perm("subscriptions.prepare_change")
        return super().change_view(request, object_id, form_url, extra_context)

    def find_view(self, request):
        """Look a customer up at the vendor by e-mail or id; the local row is created on first look-up."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = FindCustomerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                customer = assisted.customer_find(
                    email=form.cleaned_data.get("email") or "", customer_id=form.cleaned_data.get("customer_id")
                )
            except (CleverbridgeError, ImproperlyConfigured) as exc:
                _vendor_problem(request, exc)
            else:
                if customer is not None:
                    return redirect("admin:subscriptions_customer_change", customer.pk)
                messages.warning(request, "The vendor lists no subscriptions for this customer.")
        context = {
            **self.admin_site.each_context(request),
            "title": "Find a customer at the vendor",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/subscriptions/customer/find.html", context)

    def prepare_view(self, request, object_id: int):
        """Choose a change for the customer, get the vendor's price; the consent link is sent from the next page."""
        if not request.user.has_perm("subscriptions.prepare_change"):
            raise PermissionDenied
        customer = get_object_or_404(Customer, pk=object_id)
        if request.method == "POST":
            form = ChangeRequestForm(request.POST)
            subscription_id = request.POST.get("subscription_id", "")
            if form.is_valid() and subscription_id.isascii() and subscription_id.isdigit():
                data = form.cleaned_data
                try:
                    prepared = assisted.assisted_change_prepare(
                        agent=request.user,
                        customer=customer,
                        subscription_id=int(subscription_id),
                        kind=data["kind"],
                        running_no=data.get("running_no"),
                        quantity=data.get("quantity"),
                        product_id=data.get("product_id"),
                        details=_reason(request) if data["kind"] == ChangeKind.CANCEL else None,
                        ip=_ip(request),
                    )
                except services.ChangeNotAllowed as exc:
                    messages.error(request, exc.message)
                except (CleverbridgeError, ImproperlyConfigured) as exc:
                    _vendor_problem(request, exc)
                else:
                    messages.success(request, "The vendor's price is below. Send the customer the consent link.")
                    return redirect("admin:subscriptions_assistedchange_change", prepared.pk)
            else:
                problems = [str(error) for errors in form.errors.values() for error in errors]
                messages.error(request, " ".join(problems) or "Choose a subscription and a change.")
        subscriptions = []
        try:
            live = assisted.live_subscriptions_read(customer=customer, staff_user=request.user, ip=_ip(request))
            subscriptions = [(subscription, offers_for(subscription)) for subscription in live]
        except (CleverbridgeError, ImproperlyConfigured) as exc:
            _vendor_problem(request, exc)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Prepare a change for {customer}",
            "opts": self.model._meta,
            "customer": customer,
            "subscriptions": subscriptions,
            "cancel_reasons": CancelReason.choices,
            "customer_url": reverse("admin:subscriptions_customer_change", args=[customer.pk]),
        }
        return TemplateResponse(request, "assisted/prepare.html", context)


@admin.register(AssistedChange)
class AssistedChangeAdmin(ReadOnlyAdmin):
    """Changes agents prepared: the vendor's price, the consent text and the link e-mailed to the customer."""

    list_display = ["prepared_at", "customer", "quote", "prepared_by", "state", "emailed_to", "emailed_at"]
    list_select_related = ["customer", "quote", "prepared_by"]
    list_filter = [("emailed_at", admin.EmptyFieldListFilter)]
    search_fields = ["customer__email", "prepared_by__username", "quote__public_id"]
    fields = ["quote", "customer", "prepared_by", "prepared_at", "emailed_to", "emailed_at"]
    readonly_fields = fields
    change_form_template = "admin/subscriptions/assistedchange/change_form.html"

    @admin.display(description="state")
    def state(self, prepared):
        return formatting.staff_state_label(prepared.quote.shown_state)

    def get_urls(self):
        send = path(
            "<int:object_id>/send/",
            self.admin_site.admin_view(self.send_view),
            name="subscriptions_assistedchange_send",
        )
        return [send, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        prepared = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if prepared is not None:
            quote = prepared.quote
            extra_context.update(
                quote=quote,
                consent_text=formatting.consent_text(quote, language=prepared.customer.locale or None),
                payment_label=formatting.payment_label(quote),
                interval_phrase=formatting.interval_phrase(quote.interval_months, quote.interval_days),
                can_send=request.user.has_perm("subscriptions.prepare_change")
                and quote.state == "quoted"
                and not quote.is_expired(),
                quote_url=reverse("admin:subscriptions_quote_change", args=[quote.pk]),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def send_view(self, request, object_id: int):
        if request.method != "POST" or not request.user.has_perm("subscriptions.prepare_change"):
            raise PermissionDenied
        prepared = get_object_or_404(AssistedChange, pk=object_id)
        try:
            email = assisted.consent_link_send(assisted=prepared, agent=request.user, ip=_ip(request))
        except assisted.AssistedChangeProblem as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"The consent link was e-mailed to {email}. The customer consents and confirms it themselves."
            )
        return redirect("admin:subscriptions_assistedchange_change", prepared.pk)


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
