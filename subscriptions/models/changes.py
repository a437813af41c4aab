"""Changes a customer makes to a subscription, and the record of them.

The catalog (which changes each vendor product allows) is configured in the admin.
A `Quote` is the vendor's preview as stored here; a `Consent` is the customer's yes to
exactly one quote; a `LedgerEntry` is an append-only line of the audit trail, written only
through `subscriptions.ledger.record` in the same transaction as the state change it records.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from subscriptions.models.customers import Customer

__all__ = [
    "ADDING_KINDS",
    "AMOUNT_FIELDS",
    "GENESIS_HASH",
    "IN_FLIGHT_STATES",
    "ITEM_KINDS",
    "RENEWAL_KINDS",
    "UNPRICED_KINDS",
    "AddOn",
    "AppendOnlyError",
    "CancelReason",
    "CatalogProduct",
    "ChangeKind",
    "Consent",
    "CotermOffer",
    "LedgerEntry",
    "LedgerHead",
    "PlanSwitch",
    "Quote",
    "QuoteState",
]

MONEY = {"max_digits": 14, "decimal_places": 3}


# --- Catalog ----------------------------------------------------------------------------------


class CatalogProduct(models.Model):
    """A vendor product and the changes offered on items of it."""

    vendor_product_id = models.BigIntegerField(unique=True, help_text="The vendor's ProductId.")
    name = models.CharField(max_length=200)
    seats_offered = models.BooleanField(
        "offer “add seats now”", default=True, help_text="Customers may add seats to an item of this product now."
    )
    min_seats_per_change = models.PositiveIntegerField(default=1)
    max_seats_per_change = models.PositiveIntegerField(default=50)
    max_total_seats = models.PositiveIntegerField(default=500, help_text="No change may take an item beyond this.")
    min_total_seats = models.PositiveIntegerField(
        default=1, help_text="The fewest seats an item may keep when the customer asks for fewer."
    )
    reduce_offered = models.BooleanField(
        "offer “fewer seats from the next billing date”",
        default=True,
        help_text="Customers may lower the seats of an item of this product from its next billing date.",
    )
    cancellation_offered = models.BooleanField(
        "offer cancellation at the end of the period",
        default=True,
        help_text="Customers may stop the automatic renewal of a subscription holding only such products.",
    )
    retain_with_fewer_seats = models.BooleanField(
        "before a cancellation, offer fewer seats", default=True, help_text="A retention step shown before cancelling."
    )
    retain_with_cheaper_plan = models.BooleanField(
        "before a cancellation, offer a cheaper plan",
        default=True,
        help_text="A retention step shown before cancelling (the plan switches at the billing date).",
    )

    class Meta:
        ordering = ["vendor_product_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_seats_per_change__gte=1), name="catalog_min_seats_at_least_one"
            ),
            models.CheckConstraint(
                condition=models.Q(max_seats_per_change__gte=models.F("min_seats_per_change")),
                name="catalog_max_seats_not_below_min",
            ),
            models.CheckConstraint(condition=models.Q(min_total_seats__gte=1), name="catalog_min_total_at_least_one"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor_product_id})"

    def clean(self) -> None:
        errors = {}
        if self.min_seats_per_change is not None and self.min_seats_per_change < 1:
            errors["min_seats_per_change"] = "At least one seat per change."
        if (
            self.min_seats_per_change is not None
            and self.max_seats_per_change is not None
            and self.max_seats_per_change < self.min_seats_per_change
        ):
            errors["max_seats_per_change"] = "Must not be below the minimum per change."
        if (
            self.max_total_seats is not None
            and self.min_seats_per_change is not None
            and self.max_total_seats <= self.min_seats_per_change
        ):
            errors["max_total_seats"] = "Must leave room for at least one change of the minimum size."
        if self.min_total_seats is not None and self.min_total_seats < 1:
            errors["min_total_seats"] = "An item keeps at least one seat."
        elif (
            self.min_total_seats is not None
            and self.max_total_seats is not None
            and self.min_total_seats > self.max_total_seats
        ):
            errors["min_total_seats"] = "Must not be above the most seats an item may have."
        if errors:
            raise ValidationError(errors)


class CotermOffer(models.Model):
    """Extra seats co-termed to the current renewal date (`updatesubscriptionitem`, new total), e.g. a second seat."""

    product = models.ForeignKey(CatalogProduct, on_delete=models.CASCADE, related_name="coterm_offers")
    target_product_id = models.BigIntegerField(help_text="The vendor ProductId the item becomes; usually the same.")
    add_seats = models.PositiveIntegerField(default=1, help_text="The new total is the current quantity plus this.")
    max_total = models.PositiveIntegerField(help_text="Offered only while the new total stays at or below this.")
    label = models.CharField(max_length=200, help_text="e.g. “Second seat at 600.00/year”")
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["product", "id"]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        errors = {}
        if self.add_seats is not None and self.add_seats < 1:
            errors["add_seats"] = "At least one seat."
        if self.max_total is not None and self.add_seats is not None and self.max_total < self.add_seats + 1:
            errors["max_total"] = "Must allow at least one existing seat plus the added ones."
        if errors:
            raise ValidationError(errors)

    def total_for(self, current_quantity: int) -> int | None:
        """The new total for an item with `current_quantity` seats, or None when the offer does not apply."""
        total = current_quantity + self.add_seats
        return total if total <= self.max_total else None


class AddOn(models.Model):
    """A product that may be added (`addsubscriptionitem`) to a subscription holding `product`."""

    product = models.ForeignKey(CatalogProduct, on_delete=models.CASCADE, related_name="addons")
    vendor_product_id = models.BigIntegerField(help_text="The add-on's vendor ProductId.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    quantity = models.PositiveIntegerField(default=1)
    active = models.BooleanField(default=True)
    removable = models.BooleanField(
        default=True, help_text="Customers may remove it at the next billing date (and reactivate it afterwards)."
    )

    class Meta:
        ordering = ["product", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "vendor_product_id"], name="catalog_unique_addon_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor_product_id})"

    def clean(self) -> None:
        errors = {}
        if self.product_id and self.vendor_product_id == self.product.vendor_product_id:
            errors["vendor_product_id"] = "An add-on must be a different product."
        if self.quantity is not None and self.quantity < 1:
            errors["quantity"] = "At least one."
        if errors:
            raise ValidationError(errors)


class PlanSwitch(models.Model):
    """Another plan an item of `product` may switch to (`updatesubscriptionitem`, same seats, another ProductId).

    The vendor requires the same currency and billing interval; it refuses the switch otherwise.
    """

    class When(models.TextChoices):
        NOW = "now", "Now (charged pro rata now)"
        BILLING_DATE = "billing_date", "At the next billing date (nothing charged now)"
        BOTH = "both", "Either, as the customer chooses"

    product = models.ForeignKey(CatalogProduct, on_delete=models.CASCADE, related_name="plan_switches")
    to_product_id = models.BigIntegerField(help_text="The vendor ProductId of the plan switched to.")
    to_name = models.CharField(max_length=200)
    when = models.CharField(max_length=20, choices=When.choices, default=When.BOTH)
    cheaper = models.BooleanField(
        default=False,
        help_text="A cheaper plan: offered (at the next billing date) as a way to stay before a cancellation.",
    )
    label = models.CharField(max_length=200, blank=True, help_text="e.g. “Cloudify L: more storage per seat”")
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["product", "to_name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "to_product_id"], name="catalog_unique_switch_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.to_name} ({self.to_product_id})"

    def clean(self) -> None:
        if self.product_id and self.to_product_id == self.product.vendor_product_id:
            raise ValidationError({"to_product_id": "A switch must lead to another product."})

    @property
    def now(self) -> bool:
        return self.when in (self.When.NOW, self.When.BOTH)

    @property
    def at_billing_date(self) -> bool:
        return self.when in (self.When.BILLING_DATE, self.When.BOTH)


# --- Quotes and consent -----------------------------------------------------------------------


class ChangeKind(models.TextChoices):
    INCREASE = "increase", "Add seats now"
    COTERM = "coterm", "Add a co-termed seat"
    ADDON = "addon", "Add a product"
    REDUCE = "reduce", "Fewer seats from the next billing date"
    SWITCH_NOW = "switch_now", "Switch plan now"
    SWITCH_LATER = "switch_later", "Switch plan at the next billing date"
    REMOVE_ADDON = "remove_addon", "Remove a product at the next billing date"
    CANCEL = "cancel", "Cancel at the end of the period"
    RESUME = "resume", "Resume automatic renewal"
    REACTIVATE = "reactivate", "Reactivate a product"
    UNDO = "undo", "Undo a scheduled change"


ADDING_KINDS = (ChangeKind.INCREASE, ChangeKind.COTERM, ChangeKind.ADDON)
"""The kinds that add seats or a product: the only ones whose quantity must grow."""

RENEWAL_KINDS = (ChangeKind.CANCEL, ChangeKind.RESUME)
"""The kinds that act on the subscription's renewal (target "renewal"), not on one item."""

ITEM_KINDS = (
    ChangeKind.INCREASE,
    ChangeKind.COTERM,
    ChangeKind.REDUCE,
    ChangeKind.SWITCH_NOW,
    ChangeKind.SWITCH_LATER,
    ChangeKind.REMOVE_ADDON,
    ChangeKind.REACTIVATE,
    ChangeKind.UNDO,
)
"""The kinds that act on one existing item (target "item:<running no>")."""

UNPRICED_KINDS = (ChangeKind.REMOVE_ADDON, ChangeKind.REACTIVATE, ChangeKind.CANCEL, ChangeKind.RESUME)
"""Sent with the vendor's methods that have no preview: priced from a fresh `getsubscription` instead."""


class CancelReason(models.TextChoices):
    """Why a customer cancels (the common list of subscription portals)."""

    TOO_EXPENSIVE = "too_expensive", _("Too expensive")
    MISSING_FEATURES = "missing_features", _("Missing features")
    SWITCHED_SERVICE = "switched_service", _("Switched to another service")
    UNUSED = "unused", _("Not used enough")
    QUALITY = "quality", _("Quality was less than expected")
    SUPPORT = "support", _("Customer service was less than expected")
    TEMPORARY = "temporary", _("Only needed it for a while")
    OTHER = "other", _("Other reason")


class QuoteState(models.TextChoices):
    """The labels are the customer's words (translated); the support console words them for itself."""

    QUOTED = "quoted", _("Awaiting your consent")
    COMMITTING = "committing", _("Being sent")
    COMMITTED = "committed", _("Done")
    REJECTED = "rejected", _("Declined by the vendor")
    NOT_SENT = "not_sent", _("Not sent")
    OUTCOME_UNKNOWN = "outcome_unknown", _("Being confirmed")
    SUPERSEDED = "superseded", _("Replaced by a new quote")
    EXPIRED = "expired", _("Expired")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Not applied")


IN_FLIGHT_STATES = (QuoteState.COMMITTING, QuoteState.OUTCOME_UNKNOWN)
"""Sent or being sent and not yet resolved: at most one such change per item (the partial unique constraint)."""


class Quote(models.Model):
    """The vendor's preview of one change, as shown to the customer; the only source of a commit."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="quotes")
    subscription_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=20, choices=ChangeKind.choices)
    running_no = models.PositiveIntegerField(null=True, blank=True, help_text="The item changed; empty for an add-on.")
    target = models.CharField(
        max_length=40,
        help_text="What the change acts on (item:<running no>, addon:<product id> or renewal), for the guard.",
    )
    product_id = models.BigIntegerField(null=True, blank=True, help_text="The item's product before the change.")
    new_product_id = models.BigIntegerField(help_text="The product after the change (the add-on for an add-on).")
    product_name = models.CharField(max_length=200)
    new_product_name = models.CharField(
        max_length=200, blank=True, help_text="The plan switched to (plan switches only; else as product_name)."
    )
    quantity_before = models.PositiveIntegerField()
    quantity_after = models.PositiveIntegerField()
    vendor_quantity = models.PositiveIntegerField(help_text="The Quantity sent (seats to add, new total, or count).")
    preview_request = models.JSONField(encoder=DjangoJSONEncoder)
    commit_request = models.JSONField(encoder=DjangoJSONEncoder)
    preview_response = models.TextField(blank=True)

    currency = models.CharField(max_length=3)
    charge_now_gross = models.DecimalField(**MONEY)
    charge_now_net = models.DecimalField(**MONEY)
    charge_now_vat = models.DecimalField(**MONEY)
    next_billing_gross = models.DecimalField(**MONEY)
    next_billing_net = models.DecimalField(**MONEY)
    next_billing_vat = models.DecimalField(**MONEY)
    next_renewal_gross = models.DecimalField(**MONEY)
    next_renewal_net = models.DecimalField(**MONEY)
    next_renewal_vat = models.DecimalField(**MONEY)
    remaining_from = models.DateTimeField(help_text="When the remaining period was priced (the preview's time).")
    next_billing_date = models.DateTimeField(null=True, blank=True, help_text="The end of the remaining period.")
    interval_months = models.PositiveIntegerField(default=0)
    interval_days = models.PositiveIntegerField(default=0)
    payment_type = models.CharField(max_length=50, blank=True)
    payment_type_id = models.CharField(max_length=20, blank=True)
    payment_last_four = models.CharField(max_length=8, blank=True)
    effective_at = models.DateTimeField(
        null=True, blank=True, help_text="When the change takes effect at the vendor; empty = at once."
    )
    reason_code = models.CharField(
        max_length=30, blank=True, choices=CancelReason.choices, help_text="Why the customer cancels (cancel only)."
    )
    reason_text = models.TextField(blank=True, help_text="The customer's own words on why (cancel only).")
    renewal_type_after = models.CharField(
        max_length=10, blank=True, help_text="The RenewalType sent (cancel: Manual, resume: Automatic)."
    )

    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=20, choices=QuoteState.choices, default=QuoteState.QUOTED)
    state_changed_at = models.DateTimeField(default=timezone.now)
    vendor_message = models.TextField(blank=True, help_text="The vendor's reason, or ours, when not committed.")
    superseded_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_charge_now_gross = models.DecimalField(**MONEY, null=True, blank=True)
    confirmed_charge_now_net = models.DecimalField(**MONEY, null=True, blank=True)
    confirmed_charge_now_vat = models.DecimalField(**MONEY, null=True, blank=True)
    confirmed_next_billing_gross = models.DecimalField(**MONEY, null=True, blank=True)
    confirmed_next_billing_net = models.DecimalField(**MONEY, null=True, blank=True)
    confirmed_next_billing_vat = models.DecimalField(**MONEY, null=True, blank=True)

    # After sending: what the vendor was asked to charge, the payment, and the reconciliation of an unknown outcome.
    commit_sent_at = models.DateTimeField(null=True, blank=True, help_text="When the commit was handed to the vendor.")
    sent_charge_now_gross = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="The fresh preview's charge now, just before sending."
    )
    result_running_no = models.PositiveIntegerField(
        null=True, blank=True, help_text="The item the change ended on (an add-on's new running number)."
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    purchase_id = models.BigIntegerField(null=True, blank=True, unique=True, help_text="The vendor's PurchaseId.")
    interval_number = models.PositiveIntegerField(null=True, blank=True)
    paid_next_billing_date = models.DateTimeField(null=True, blank=True)
    reconcile_attempts = models.PositiveIntegerField(default=0)
    next_reconcile_at = models.DateTimeField(null=True, blank=True, db_index=True)
    needs_support = models.BooleanField(
        default=False, db_index=True, help_text="Could not be resolved automatically; support must look at it."
    )
    support_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription_id", "target"],
                condition=models.Q(state__in=list(IN_FLIGHT_STATES)),
                name="quote_one_change_in_flight_per_target",
                violation_error_message="Another change to this item is still being sent or confirmed.",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=list(ADDING_KINDS))
                | models.Q(quantity_after__gt=models.F("quantity_before")),
                name="quote_adding_kinds_increase",
                violation_error_message="A change that adds seats or a product must end with more than it started.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} S{self.subscription_id} {self.public_id}"

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def charge_expected(self) -> bool:
        """A charge now was agreed, so the vendor will send a PaidOrderNotification for it."""
        return self.charge_now_gross > 0

    @property
    def awaiting_confirmation(self) -> bool:
        """Still moving by itself: being sent or confirmed, or done and waiting for the payment notification."""
        if self.state in IN_FLIGHT_STATES:
            return True
        return self.state == QuoteState.COMMITTED and self.charge_expected

    @property
    def charged_after_error(self) -> bool:
        """The vendor answered the commit with an error, yet a read showed the change applied (and so charged)."""
        if self.state not in (QuoteState.COMMITTED, QuoteState.PAID):
            return False
        return self.ledger_entries.filter(action="change.charged_after_error").exists()

    @property
    def shown_state(self) -> str:
        """The state as the customer should read it: an unused quote past its expiry is expired."""
        if self.state == QuoteState.QUOTED and self.is_expired():
            return QuoteState.EXPIRED
        return self.state

    @property
    def shown_state_label(self) -> str:
        return QuoteState(self.shown_state).label

    @property
    def seats_added(self) -> int:
        return self.quantity_after - self.quantity_before

    @property
    def priced_by_vendor_preview(self) -> bool:
        """False for the kinds the vendor cannot preview: their figures come from a `getsubscription` read."""
        return self.kind not in UNPRICED_KINDS

    @property
    def takes_effect_later(self) -> bool:
        return self.effective_at is not None

    @property
    def is_card(self) -> bool:
        return self.payment_type_id.upper().startswith("CC") or self.payment_type.lower() in {
            "visa",
            "mastercard",
            "american express",
            "amex",
            "discover",
            "jcb",
            "diners club",
            "credit card",
        }


AMOUNT_FIELDS = (
    "charge_now_gross",
    "charge_now_net",
    "charge_now_vat",
    "next_billing_gross",
    "next_billing_net",
    "next_billing_vat",
    "next_renewal_gross",
    "next_renewal_net",
    "next_renewal_vat",
)


class Consent(models.Model):
    """The customer's agreement to one quote, with the exact words shown. One per quote, ever."""

    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="consent")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="consents")
    given_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True)
    text = models.TextField()
    text_version = models.CharField(max_length=20)
    language = models.CharField(max_length=10)

    class Meta:
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"Consent to {self.quote_id} at {self.given_at:%Y-%m-%d %H:%M:%S}"


# --- The audit ledger -------------------------------------------------------------------------


GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """Ledger entries are written once and never changed or removed."""


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("ledger entries cannot be updated")

    def delete(self):
        raise AppendOnlyError("ledger entries cannot be deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("ledger entries cannot be updated")

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise AppendOnlyError("ledger entries cannot be updated")

    def _raw_delete(self, using):
        raise AppendOnlyError("ledger entries cannot be deleted")


class LedgerEntry(models.Model):
    """One line of the append-only audit trail (written by `subscriptions.ledger.record` only)."""

    action = models.CharField(max_length=50, db_index=True, help_text="Dotted code, e.g. change.committed.")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    subscription_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    quote = models.ForeignKey(
        Quote,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        help_text="Empty for staff actions about a customer rather than one change (e.g. staff.exported_ledger).",
    )
    data = models.JSONField(encoder=DjangoJSONEncoder, default=dict)
    sequence = models.PositiveBigIntegerField(
        unique=True, editable=False, help_text="Position in the chain, from 1 without gaps; a gap is a removed entry."
    )
    prev_hash = models.CharField(
        max_length=64, unique=True, editable=False, help_text="The hash of the entry before (zeros for the first)."
    )
    hash = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        help_text="SHA-256 of the entry's canonical form.",
    )

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} S{self.subscription_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise AppendOnlyError("ledger entries cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ledger entries cannot be deleted")


class LedgerHead(models.Model):
    """The chain's last sequence and hash, one row, locked by every append so no two entries share a predecessor.

    It also keeps how far the chain was last found intact, so a status check only walks the entries added since.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    verified_sequence = models.PositiveBigIntegerField(default=0)
    verified_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="ledger_head_single_row")]

    def __str__(self) -> str:
        return f"ledger head {self.sequence} {self.hash}"
