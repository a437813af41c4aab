"""What the vendor's subscription API tells us, as frozen values with Decimal money and UTC datetimes."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

__all__ = [
    "ACTIVE",
    "DEACTIVATED",
    "FINISHED",
    "MANUAL",
    "STATUS_LABELS",
    "Exchange",
    "PaymentInfo",
    "Prices",
    "Subscription",
    "SubscriptionItem",
    "VendorQuote",
]

STATUS_LABELS = {
    1: _("Active"),
    2: _("Deactivated"),
    3: _("Finished"),
    4: _("Grace"),
    5: _("Hold"),
    6: _("New"),
    7: _("Handled by client"),
    8: _("Awaiting new order"),
}
"""The vendor's status numbers in words (translatable; `formatting.status_label` is the one for people)."""
ACTIVE = 1
DEACTIVATED = 2
FINISHED = 3
MANUAL = "Manual"


@dataclass(frozen=True)
class Prices:
    """A gross/net/VAT triple as the vendor computed it (never recomputed here)."""

    gross: Decimal
    net: Decimal
    vat: Decimal
    currency: str


@dataclass(frozen=True)
class PaymentInfo:
    type: str
    type_id: str
    last_four: str
    expires_month: int | None
    expires_year: int | None

    @property
    def expires_at(self) -> datetime | None:
        """The last instant the card is valid: cards expire at the end of their month."""
        if not self.expires_month or not self.expires_year:
            return None
        last_day = calendar.monthrange(self.expires_year, self.expires_month)[1]
        return datetime(self.expires_year, self.expires_month, last_day, 23, 59, 59, 999999, tzinfo=UTC)

    def expires_before(self, when: datetime) -> bool:
        """True when the card will have expired by `when` (e.g. the next billing date)."""
        expires_at = self.expires_at
        return expires_at is not None and expires_at < when


@dataclass(frozen=True)
class SubscriptionItem:
    running_no: int
    product_id: int
    product_name: str
    quantity: int
    status: int
    start: datetime
    version: int
    is_current: bool
    version_active: datetime | None
    next_billing: Prices
    next_renewal: Prices
    deactivation_date: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    @property
    def is_deactivated(self) -> bool:
        return self.status == DEACTIVATED

    @property
    def removal_scheduled(self) -> bool:
        """Still active and billed, but the vendor ends it at `deactivation_date` (the next billing date)."""
        return self.is_active and self.deactivation_date is not None


@dataclass(frozen=True)
class Subscription:
    id: int
    customer_id: int
    customer_reference_id: str
    currency: str
    status: int
    renewal_type: str
    start: datetime
    next_billing_date: datetime | None
    next_renewal_date: datetime | None
    interval_months: int
    interval_days: int
    items: tuple[SubscriptionItem, ...]
    next_billing: Prices
    next_renewal: Prices
    payment: PaymentInfo | None
    self_service_url: str
    end_date: datetime | None = None

    @property
    def current_items(self) -> tuple[SubscriptionItem, ...]:
        """One entry per RunningNo: the vendor keeps every version of an item, only IsCurrent counts."""
        current: dict[int, SubscriptionItem] = {}
        for item in self.items:
            if item.is_current and (item.running_no not in current or item.version > current[item.running_no].version):
                current[item.running_no] = item
        return tuple(current[running_no] for running_no in sorted(current))

    def item(self, running_no: int) -> SubscriptionItem | None:
        return next((item for item in self.current_items if item.running_no == running_no), None)

    def scheduled_item(self, running_no: int) -> SubscriptionItem | None:
        """The version of an item that becomes current at a later date (a change at the next billing date), if any.

        The vendor keeps old versions too (IsCurrent false, a lower version): only a version above the
        current one that becomes active after it is still to come.
        """
        current = self.item(running_no)
        if current is None:
            return None
        later = [
            item
            for item in self.items
            if item.running_no == running_no
            and not item.is_current
            and item.version > current.version
            and item.version_active is not None
            and (current.version_active is None or item.version_active > current.version_active)
        ]
        return max(later, key=lambda item: item.version, default=None)

    @property
    def scheduled_items(self) -> tuple[SubscriptionItem, ...]:
        """Every item's scheduled version, by running number."""
        found = (self.scheduled_item(item.running_no) for item in self.current_items)
        return tuple(item for item in found if item is not None)

    @property
    def cancels_at_period_end(self) -> bool:
        """Active with automatic renewal off: the vendor finishes it at its next billing date."""
        return self.is_active and self.renewal_type.lower() == MANUAL.lower()

    @property
    def ends_on(self) -> datetime | None:
        """When it ends: the next billing date while cancelling, its EndDate once finished, else None."""
        if self.cancels_at_period_end:
            return self.next_billing_date
        if self.status == FINISHED:
            return self.end_date
        return None

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    @property
    def status_label(self) -> str:
        label = STATUS_LABELS.get(self.status)
        return str(label) if label is not None else f"Unknown ({self.status})"


@dataclass(frozen=True)
class Exchange:
    """What was sent and what came back, for the audit trail. Never holds credentials."""

    method: str
    request_body: dict | None
    status: int | None
    response_text: str
    duration_ms: int


@dataclass(frozen=True)
class VendorQuote:
    """The vendor's prices for a change: what is charged now and the recurring amounts after it."""

    charge_now: Prices
    next_billing: Prices
    next_renewal: Prices
    currency: str
    exchange: Exchange
