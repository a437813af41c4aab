"""The vendor-side state that the sandbox emulates: catalogue, customers, subscriptions, money, mail.

Ids are the vendor's own (large integers chosen by scenarios), so that the product sees the same
numbers as in the guides.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import models

from sandbox import pricing

PURCHASE_ID_BASE = 538988783
MONEY = {"max_digits": 19, "decimal_places": 4}


class SubscriptionStatus(models.IntegerChoices):
    ACTIVE = 1, "Active"
    DEACTIVATED = 2, "Deactivated"
    FINISHED = 3, "Finished"
    GRACE = 4, "Grace"
    HOLD = 5, "Hold"
    NEW = 6, "New"
    HANDLED_BY_CLIENT = 7, "Handled by client"
    AWAITING_NEW_ORDER = 8, "Awaiting new order"


class RenewalType(models.TextChoices):
    AUTOMATIC = "Automatic"
    MANUAL = "Manual"


class PurchaseCategory(models.TextChoices):
    NEW = "New"
    ALIGNMENT = "Alignment"
    RENEWAL = "Renewal"


class SandboxClock(models.Model):
    """The one sandbox time, shared by every process: frozen at a moment, or real time plus an offset."""

    frozen_at = models.DateTimeField(null=True, blank=True)
    offset_microseconds = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "sandbox clock"

    def __str__(self) -> str:
        return f"frozen at {self.frozen_at}" if self.frozen_at else f"real time + {self.offset_microseconds} µs"


class Product(models.Model):
    id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=200)
    interval = models.CharField(max_length=20, help_text="ISO 8601 duration, e.g. P1M, P1Y, P14D")
    sold = models.BooleanField(
        default=True, help_text="Still on sale: a deactivated item of a product no longer sold cannot be reinstated."
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    def tiers(self, currency: str) -> list[pricing.Tier]:
        return [
            pricing.Tier(first_seat=price.first_seat, unit_gross=price.unit_gross)
            for price in self.prices.all()
            if price.currency == currency
        ]


class PriceTier(models.Model):
    """One step of a product's graduated price in one currency."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3)
    first_seat = models.PositiveIntegerField(default=1)
    unit_gross = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["product", "currency", "first_seat"]
        constraints = [
            models.UniqueConstraint(fields=["product", "currency", "first_seat"], name="sandbox_unique_price_tier")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.currency} from seat {self.first_seat}: {self.unit_gross}"


class Customer(models.Model):
    id = models.BigIntegerField(primary_key=True)
    email = models.EmailField()
    reference_id = models.CharField(max_length=100, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2)
    vat_rate = models.DecimalField(max_digits=6, decimal_places=4, default=Decimal(0))
    locale = models.CharField(max_length=10, default="en")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.email} ({self.id})"


class Subscription(models.Model):
    """A subscription; its current interval runs from boundary `intervals_since_anchor` to the next one,
    counted from `billing_anchor` so that month-end dates never drift."""

    id = models.BigIntegerField(primary_key=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=20)
    start_date = models.DateTimeField()
    end_date = models.DateTimeField(null=True, blank=True)
    billing_anchor = models.DateTimeField()
    intervals_since_anchor = models.PositiveIntegerField(default=0)
    last_interval_no = models.PositiveIntegerField(default=0)
    status = models.PositiveSmallIntegerField(choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    renewal_type = models.CharField(max_length=10, choices=RenewalType.choices, default=RenewalType.AUTOMATIC)
    payment_type = models.CharField(max_length=50, blank=True, default="Visa")
    payment_type_id = models.CharField(max_length=20, blank=True, default="CCA_VIS")
    card_last_four = models.CharField(max_length=4, blank=True)
    card_expiry_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_expiry_year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"S{self.id}"

    @property
    def billing_interval(self) -> pricing.Interval:
        return pricing.parse_interval(self.interval)

    @property
    def current_period_start(self) -> datetime:
        return pricing.interval_boundary(self.billing_anchor, self.billing_interval, self.intervals_since_anchor)

    @property
    def next_billing_date(self) -> datetime:
        return pricing.interval_boundary(self.billing_anchor, self.billing_interval, self.intervals_since_anchor + 1)


class SubscriptionItem(models.Model):
    """One version of one item (RunningNo); a change adds a version and retires the previous one.

    A change at the next billing date adds a version that is not current yet (`is_current` false,
    `version_active_date` in the future); it becomes current at that billing date. `deactivation_date`
    is when an active item stops being renewed; the item's status becomes Deactivated then.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="item_versions")
    running_no = models.PositiveIntegerField()
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    status = models.PositiveSmallIntegerField(choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    start_date = models.DateTimeField()
    version_active_date = models.DateTimeField()
    deactivation_date = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["subscription", "running_no", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "running_no", "version"], name="sandbox_unique_item_version"
            )
        ]

    def __str__(self) -> str:
        return f"S{self.subscription_id} #{self.running_no} v{self.version}"


class Purchase(models.Model):
    """Money the vendor collected; `vendor_id` is the purchase id the vendor would show."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="purchases")
    item_version = models.ForeignKey(
        SubscriptionItem, on_delete=models.CASCADE, null=True, blank=True, related_name="purchases"
    )
    running_no = models.PositiveIntegerField(null=True, blank=True)
    interval_no = models.PositiveIntegerField(default=0)
    category = models.CharField(max_length=20, choices=PurchaseCategory.choices)
    currency = models.CharField(max_length=3)
    gross = models.DecimalField(**MONEY)
    net = models.DecimalField(**MONEY)
    vat = models.DecimalField(**MONEY)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.vendor_id} {self.category} {self.gross} {self.currency}"

    @property
    def vendor_id(self) -> int:
        return PURCHASE_ID_BASE + self.pk


class OutboxEmail(models.Model):
    """A confirmation mail the vendor would have sent (GenerateMail: true)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outbox e-mail"

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class FaultMode(models.TextChoices):
    ERROR = "error"
    MALFORMED = "malformed"
    DELAY = "delay"
    APPLY_THEN_ERROR = "apply_then_error"
    APPLY_THEN_STALL = "apply_then_stall"


class FaultTarget(models.TextChoices):
    ANY = "any"
    PREVIEW = "preview"
    COMMIT = "commit"


class Fault(models.Model):
    """A planned misbehaviour for the next `remaining` calls of an API method ("*" for any).

    `on` narrows a fault on the change methods to previews or commits (reads only match `any`).
    """

    method = models.CharField(max_length=60)
    mode = models.CharField(max_length=20, choices=FaultMode.choices)
    on = models.CharField(max_length=10, choices=FaultTarget.choices, default=FaultTarget.ANY)
    remaining = models.PositiveIntegerField(default=1)
    status = models.PositiveSmallIntegerField(default=500)
    delay_seconds = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal(0))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.mode} on {self.method} x{self.remaining}"


class DeliveryState(models.TextChoices):
    PENDING = "pending"
    HELD = "held"
    DELIVERED = "delivered"
    FAILED = "failed"


class NotificationDelivery(models.Model):
    """A notification the vendor sends: recorded before each attempt's outcome.

    A PaidOrderNotification for a charged purchase, or a subscription event (`kind`): a renewal-type
    change, the end of a manual subscription, a reinstatement, a refund or a chargeback.
    `body` is exactly what is POSTed every time (a retry or a duplicate repeats it byte for byte).
    Times are real time (the worker's), not sandbox time; the payload's `meta.date` is sandbox time.
    """

    kind = models.CharField(max_length=60, default="PaidOrderNotification")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    purchase = models.ForeignKey(
        Purchase, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    copy_no = models.PositiveSmallIntegerField(default=1, help_text="2 and up: duplicates planned by the control.")
    url = models.URLField(max_length=500)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "notification deliveries"

    def __str__(self) -> str:
        about = f"purchase {self.purchase.vendor_id}" if self.purchase_id else f"S{self.subscription_id}"
        return f"{self.kind} {about} #{self.copy_no} ({self.state})"


class NotificationControl(models.Model):
    """How the sandbox misbehaves when sending notifications (one row): duplicates, delay, holding for reordering."""

    duplicate = models.PositiveSmallIntegerField(default=0, help_text="Extra copies of each notification.")
    delay_seconds = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal(0))
    hold = models.BooleanField(default=False, help_text="Record deliveries but send them only when released.")

    class Meta:
        verbose_name = "notification control"

    def __str__(self) -> str:
        return f"duplicate {self.duplicate}, delay {self.delay_seconds}s, hold {self.hold}"
