"""Admin for the change catalog (editable, validated) and the money records (read-only).

Support agents answer "what did this customer agree to, what were they charged, what happened?"
here: changes with their full ledger inline and the vendor's bodies pretty-printed, the ledger
itself, and its CSV export (a selection, or a date range at `ledgerentry/export/`).
"""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from subscriptions import catalog, exports, ledger
from subscriptions.admin.site import DateRangeFilter, IdSearchMixin, ReadOnlyAdmin, ReadOnlyMixin, pretty_json
from subscriptions.formatting import cancel_reason_label, format_datetime, format_money, staff_state_label
from subscriptions.models import (
    GENESIS_HASH,
    RENEWAL_KINDS,
    UNPRICED_KINDS,
    AddOn,
    CatalogProduct,
    ChangeKind,
    Consent,
    CotermOffer,
    LedgerEntry,
    LedgerHead,
    PlanSwitch,
    Quote,
    QuoteState,
)


class VendorProductForm(forms.ModelForm):
    """Checks on save that the vendor knows every product id the form names."""

    vendor_product_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        for name in self.vendor_product_fields:
            if name in self.changed_data and cleaned.get(name):
                problem = catalog.vendor_product_problem(cleaned[name])
                if problem:
                    self.add_error(name, problem)
        return cleaned


class CatalogProductForm(VendorProductForm):
    vendor_product_fields = ("vendor_product_id",)

    class Meta:
        model = CatalogProduct
        fields = [
            "vendor_product_id",
            "name",
            "seats_offered",
            "min_seats_per_change",
            "max_seats_per_change",
            "max_total_seats",
            "reduce_offered",
            "min_total_seats",
            "cancellation_offered",
            "retain_with_fewer_seats",
            "retain_with_cheaper_plan",
        ]


class CotermOfferForm(VendorProductForm):
    vendor_product_fields = ("target_product_id",)


class AddOnForm(VendorProductForm):
    vendor_product_fields = ("vendor_product_id",)


class PlanSwitchForm(VendorProductForm):
    vendor_product_fields = ("to_product_id",)


class CotermOfferInline(admin.TabularInline):
    model = CotermOffer
    form = CotermOfferForm
    extra = 0
    fields = ["label", "target_product_id", "add_seats", "max_total", "description", "active"]


class AddOnInline(admin.TabularInline):
    model = AddOn
    form = AddOnForm
    extra = 0
    fields = ["name", "vendor_product_id", "quantity", "description", "active", "removable"]


class PlanSwitchInline(admin.TabularInline):
    """Plans an item may switch to; the vendor refuses a plan of another currency or billing interval."""

    model = PlanSwitch
    form = PlanSwitchForm
    extra = 0
    fields = ["to_name", "to_product_id", "when", "cheaper", "label", "description", "active"]


@admin.register(CatalogProduct)
class CatalogProductAdmin(admin.ModelAdmin):
    form = CatalogProductForm
    list_display = [
        "vendor_product_id",
        "name",
        "seats_offered",
        "min_seats_per_change",
        "max_seats_per_change",
        "max_total_seats",
        "reduce_offered",
        "min_total_seats",
        "cancellation_offered",
    ]
    search_fields = ["name", "vendor_product_id"]
    inlines = [CotermOfferInline, AddOnInline, PlanSwitchInline]


class ExportMixin:
    """The CSV export action for agents holding `subscriptions.export_ledger`; every export is written to the ledger."""

    def get_actions(self, request):
        return admin.ModelAdmin.get_actions(self, request)

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("subscriptions.export_ledger")

    def ledger_for(self, queryset):
        return queryset

    @admin.action(description="Export the ledger of the selected rows as CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        entries = self.ledger_for(queryset)
        scope = {"selection": self.model._meta.model_name, "ids": sorted(queryset.values_list("pk", flat=True))}
        return _csv_response(request, entries, scope, "selection")


def _csv_response(request, entries, scope, label: str) -> HttpResponse:
    text = exports.ledger_export(
        entries=entries, staff_user=request.user, ip=request.META.get("REMOTE_ADDR"), scope=scope
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ledger-{label}.csv"'
    return response


class LedgerEntryInline(ReadOnlyMixin, admin.TabularInline):
    """The change's whole history, newest first (what happened last is what an agent asks about), read-only."""

    model = LedgerEntry
    fk_name = "quote"
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "actor", "ip", "details"]
    readonly_fields = fields
    ordering = ["-sequence"]

    @admin.display(description="by")
    def actor(self, entry):
        return _actor(entry)

    @admin.display(description="data (vendor request and response included)")
    def details(self, entry):
        return _pre(entry.data)


def _actor(entry: LedgerEntry) -> str:
    if entry.staff_user_id:
        return f"staff: {entry.staff_user.get_username()}"
    if entry.customer_id:
        return f"customer: {entry.customer}"
    return "system"


def _pre(value) -> str:
    text = pretty_json(value)
    return format_html("<pre>{}</pre>", text) if text else "-"


def charged_now(quote: Quote) -> str:
    """The vendor's charge now for a change, with the quoted amount beneath when it differs (or alone, if none yet)."""
    charged = exports.change_charged(quote)
    return _beside_quote(charged.gross if charged else None, quote.charge_now_gross, quote.currency)


def _beside_quote(charged: Decimal | None, quoted: Decimal, currency: str) -> str:
    if charged is None:
        return format_html("<small>quoted {}</small>", format_money(quoted, currency))
    if charged == quoted:
        return format_money(charged, currency)
    return format_html(
        "{}<br><small>quoted {}</small>", format_money(charged, currency), format_money(quoted, currency)
    )


def _split(gross: Decimal, net: Decimal | None, vat: Decimal | None, currency: str) -> str:
    """Gross with its parts when known: "$1,039.94 ($873.90 net + $166.04 VAT)"."""
    if net is None or vat is None:
        return format_money(gross, currency)
    money = [format_money(amount, currency) for amount in (gross, net, vat)]
    return "{} ({} net + {} VAT)".format(*money)


class StateFilter(admin.SimpleListFilter):
    """By state, in the console's words (the model's labels speak to the customer)."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(state, staff_state_label(state)) for state in QuoteState.values]

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


class AssistedFilter(admin.SimpleListFilter):
    title = "prepared by"
    parameter_name = "prepared"

    def lookups(self, request, model_admin):
        return [("agent", "a support agent"), ("customer", "the customer")]

    def queryset(self, request, queryset):
        if self.value() == "agent":
            return queryset.filter(assisted__isnull=False)
        if self.value() == "customer":
            return queryset.filter(assisted__isnull=True)
        return queryset


@admin.register(Quote)
class QuoteAdmin(IdSearchMixin, ExportMixin, ReadOnlyAdmin):
    list_display = [
        "created_at",
        "customer",
        "subscription",
        "kind",
        "product_name",
        "seats",
        "charged_now",
        "then_per_interval",
        "currency",
        "status",
        "needs_support",
        "purchase_id",
        "prepared_by",
    ]
    list_filter = [
        StateFilter,
        "kind",
        ("created_at", DateRangeFilter),
        "currency",
        "needs_support",
        AssistedFilter,
        "reason_code",
    ]
    list_select_related = ["customer", "assisted__prepared_by"]
    search_fields = ["customer__email"]
    search_help_text = "E-mail, customer id, subscription id (S… or digits), purchase id or quote id."
    text_search_fields = ("customer__email", "public_id")
    number_search_fields = ("customer__vendor_id", "subscription_id", "purchase_id")
    date_hierarchy = "created_at"
    actions = ["export_csv", "export_cancellation_reasons"]
    inlines = [LedgerEntryInline]
    fieldsets = [
        (
            None,
            {"fields": ["public_id", "customer", "subscription", "kind", "status", "vendor_message", "prepared_by"]},
        ),
        (
            "What changes",
            {
                "fields": [
                    "product_name",
                    "new_product_name",
                    "running_no",
                    "product_id",
                    "new_product_id",
                    "seats",
                    "vendor_quantity",
                    "effective",
                    "renewal_type_after",
                ]
            },
        ),
        ("Cancellation", {"fields": ["reason", "reason_text"]}),
        (
            "Amounts (charged: the vendor's own figure; quoted: what the customer agreed to)",
            {
                "fields": [
                    "currency",
                    "charged_now_detail",
                    "quoted_now_detail",
                    "sent_now_detail",
                    "charged_per_interval_detail",
                    "quoted_per_interval_detail",
                    "quoted_renewal_detail",
                    "purchase_id",
                    "payment_type",
                    "payment_last_four",
                ]
            },
        ),
        (
            "Dates",
            {
                "fields": [
                    "created_at",
                    "expires_at",
                    "state_changed_at",
                    "next_billing_date",
                    "confirmed_at",
                    "paid_at",
                    "needs_support",
                ]
            },
        ),
        (
            "The vendor's bodies",
            {"fields": ["preview_request_pretty", "commit_request_pretty", "preview_response_pretty"]},
        ),
    ]
    readonly_fields = [
        "subscription",
        "status",
        "seats",
        "effective",
        "reason",
        "charged_now_detail",
        "quoted_now_detail",
        "sent_now_detail",
        "charged_per_interval_detail",
        "quoted_per_interval_detail",
        "quoted_renewal_detail",
        "prepared_by",
        "preview_request_pretty",
        "commit_request_pretty",
        "preview_response_pretty",
    ]

    def ledger_for(self, queryset):
        return LedgerEntry.objects.filter(quote__in=queryset)

    def get_fieldsets(self, request, obj=None):
        """The cancellation's reason only on a cancellation."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.kind == ChangeKind.CANCEL:
            return fieldsets
        return [fieldset for fieldset in fieldsets if fieldset[0] != "Cancellation"]

    @admin.action(description="Export the cancellation reasons of the selected rows as CSV", permissions=["export"])
    def export_cancellation_reasons(self, request, queryset):
        scope = {"selection": "quote", "ids": sorted(queryset.values_list("pk", flat=True))}
        text = exports.cancellation_reasons_export(
            quotes=queryset, staff_user=request.user, ip=request.META.get("REMOTE_ADDR"), scope=scope
        )
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="cancellation-reasons.csv"'
        return response

    @admin.display(description="subscription", ordering="subscription_id")
    def subscription(self, quote):
        return f"S{quote.subscription_id}"

    @admin.display(description="takes effect")
    def effective(self, quote):
        return format_datetime(quote.effective_at) if quote.effective_at else "at once"

    @admin.display(description="reason")
    def reason(self, quote):
        return cancel_reason_label(quote.reason_code) if quote.reason_code else "-"

    @admin.display(description="state", ordering="state")
    def status(self, quote):
        return staff_state_label(quote.shown_state)

    @admin.display(description="seats")
    def seats(self, quote):
        if quote.kind in RENEWAL_KINDS:
            return "-"
        return f"{quote.quantity_before} → {quote.quantity_after}"

    @admin.display(description="Charged now")
    def charged_now(self, quote):
        return charged_now(quote)

    @admin.display(description="Then per interval")
    def then_per_interval(self, quote):
        return _beside_quote(quote.confirmed_next_billing_gross, quote.next_billing_gross, quote.currency)

    @admin.display(description="charged now")
    def charged_now_detail(self, quote):
        charged = exports.change_charged(quote)
        if charged is None:
            if _done_unpriced(quote):
                return "nothing (this kind of change charges nothing now)"
            return "not stated by the vendor yet"
        text = f"{_split(charged.gross, charged.net, charged.vat, charged.currency)}, per the vendor ({charged.source})"
        return text if charged.net is not None else f"{text}; no net and VAT given"

    @admin.display(description="quoted now (agreed)")
    def quoted_now_detail(self, quote):
        return _split(quote.charge_now_gross, quote.charge_now_net, quote.charge_now_vat, quote.currency)

    @admin.display(description="Fresh preview sent with the commit")
    def sent_now_detail(self, quote):
        if quote.sent_charge_now_gross is None:
            return "-"
        return format_money(quote.sent_charge_now_gross, quote.currency)

    @admin.display(description="charged per interval from then on")
    def charged_per_interval_detail(self, quote):
        if quote.confirmed_next_billing_gross is None:
            if _done_unpriced(quote):
                return "the vendor answers this kind of change without prices: see the quoted amount, from its read"
            return "not stated by the vendor yet"
        amounts = [
            quote.confirmed_next_billing_gross,
            quote.confirmed_next_billing_net,
            quote.confirmed_next_billing_vat,
        ]
        return f"{_split(*amounts, quote.currency)}, per the vendor ({exports.COMMIT_ANSWER})"

    @admin.display(description="quoted per interval (agreed)")
    def quoted_per_interval_detail(self, quote):
        return _split(quote.next_billing_gross, quote.next_billing_net, quote.next_billing_vat, quote.currency)

    @admin.display(description="quoted at renewal")
    def quoted_renewal_detail(self, quote):
        return _split(quote.next_renewal_gross, quote.next_renewal_net, quote.next_renewal_vat, quote.currency)

    @admin.display(description="prepared by")
    def prepared_by(self, quote):
        assisted = getattr(quote, "assisted", None)
        return assisted.prepared_by.get_username() if assisted is not None else "the customer"

    @admin.display(description="preview request")
    def preview_request_pretty(self, quote):
        return _pre(quote.preview_request)

    @admin.display(description="commit request")
    def commit_request_pretty(self, quote):
        return _pre(quote.commit_request)

    @admin.display(description="preview response")
    def preview_response_pretty(self, quote):
        return _pre(quote.preview_response)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["given_at", "customer", "quote", "text_version", "language", "ip"]
    search_fields = ["quote__public_id", "customer__email"]


def _chain_status() -> dict:
    intact, entries, broken = ledger.chain_status()
    head = LedgerHead.objects.filter(pk=1).values_list("hash", flat=True).first() or GENESIS_HASH
    broken_url = (
        reverse("admin:subscriptions_ledgerentry_change", args=[broken.entry_id])
        if broken is not None and broken.entry_id is not None
        else ""
    )
    return {"intact": intact, "entries": entries, "head": head[:12], "broken": broken, "broken_url": broken_url}


class ExportForm(forms.Form):
    since = forms.DateField(label="From (UTC day, inclusive)", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To (UTC day, inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise forms.ValidationError("“To” must not be before “From”.")
        return data


@admin.register(LedgerEntry)
class LedgerEntryAdmin(IdSearchMixin, ExportMixin, ReadOnlyAdmin):
    list_display = ["created_at", "action", "subscription", "customer", "staff_user", "ip", "quote"]
    list_filter = ["action", ("created_at", DateRangeFilter), ("staff_user", admin.EmptyFieldListFilter)]
    list_select_related = ["customer", "staff_user", "quote"]
    search_fields = ["customer__email"]
    search_help_text = "E-mail, customer id, subscription id (S… or digits), purchase id, quote id or staff user."
    text_search_fields = ("customer__email", "quote__customer__email", "quote__public_id", "staff_user__username")
    number_search_fields = (
        "customer__vendor_id",
        "quote__customer__vendor_id",
        "subscription_id",
        "quote__purchase_id",
    )
    date_hierarchy = "created_at"
    actions = ["export_csv"]
    change_list_template = "admin/subscriptions/ledgerentry/change_list.html"
    fields = ["created_at", "action", "subscription", "customer", "staff_user", "ip", "quote", "details"]
    readonly_fields = ["subscription", "details"]

    @admin.display(description="subscription", ordering="subscription_id")
    def subscription(self, entry):
        return f"S{entry.subscription_id}" if entry.subscription_id else "-"

    @admin.display(description="data")
    def details(self, entry):
        return _pre(entry.data)

    def changelist_view(self, request, extra_context=None):
        """Above the entries, whether the chain holds (`ledger.chain_status`: cheap, only new entries are walked)."""
        return super().changelist_view(request, {**(extra_context or {}), "chain": _chain_status()})

    def get_urls(self):
        export = path("export/", self.admin_site.admin_view(self.export_view), name="subscriptions_ledger_export")
        return [export, *super().get_urls()]

    def export_view(self, request):
        """The ledger between two UTC days (inclusive) as CSV."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        form = ExportForm(request.GET or None)
        if form.is_bound and form.is_valid():
            since, until = form.cleaned_data["since"], form.cleaned_data["until"]
            entries = LedgerEntry.objects.filter(created_at__date__gte=since, created_at__date__lte=until)
            scope = {"since": since.isoformat(), "until": until.isoformat()}
            return _csv_response(request, entries, scope, f"{since:%Y%m%d}-{until:%Y%m%d}")
        today = timezone.now().date()
        context = {
            **self.admin_site.each_context(request),
            "title": "Export the ledger as CSV",
            "opts": self.model._meta,
            "form": form if form.is_bound else ExportForm(initial={"since": today.replace(day=1), "until": today}),
            "changelist_url": reverse("admin:subscriptions_ledgerentry_changelist"),
        }
        return TemplateResponse(request, "admin/subscriptions/ledgerentry/export.html", context)


def _done_unpriced(quote: Quote) -> bool:
    """Done, and of a kind the vendor answers without prices (so nothing will ever be "stated")."""
    return quote.kind in UNPRICED_KINDS and quote.state in (QuoteState.COMMITTED, QuoteState.PAID)
