"""The one place that knows Cleverbridge: its subscription API and its payment notifications.

Everything vendor-shaped stops here: callers get frozen dataclasses with Decimal money and UTC
datetimes. `client` is the HTTP client (the only importer of httpx) with its errors and factory;
`values` the values it returns; `changes` the changes it sends; `parsing` the one set of helpers
that read the vendor's JSON, for the API's answers and for `payloads`, the PaidOrderNotification.
"""

from subscriptions.cleverbridge.changes import UPDATE_ACTIONS, AddItem, Change, IncreaseQuantity, UpdateItem
from subscriptions.cleverbridge.client import (
    BACKOFF_SECONDS,
    CleverbridgeClient,
    CleverbridgeError,
    OutcomeUnknown,
    Rejected,
    Unavailable,
    get_client,
)
from subscriptions.cleverbridge.parsing import parse_subscription
from subscriptions.cleverbridge.values import (
    ACTIVE,
    STATUS_LABELS,
    Exchange,
    PaymentInfo,
    Prices,
    Subscription,
    SubscriptionItem,
    VendorQuote,
)

__all__ = [
    "ACTIVE",
    "BACKOFF_SECONDS",
    "STATUS_LABELS",
    "UPDATE_ACTIONS",
    "AddItem",
    "Change",
    "CleverbridgeClient",
    "CleverbridgeError",
    "Exchange",
    "IncreaseQuantity",
    "OutcomeUnknown",
    "PaymentInfo",
    "Prices",
    "Rejected",
    "Subscription",
    "SubscriptionItem",
    "Unavailable",
    "UpdateItem",
    "VendorQuote",
    "get_client",
    "parse_subscription",
]
