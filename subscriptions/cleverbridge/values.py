"""What the vendor's subscription API tells us, as frozen values with Decimal money and UTC datetimes."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

__all__ = [
    "ACTIVE",
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

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE


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
