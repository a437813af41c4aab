"""The one place that knows Cleverbridge: its subscription API and its payment notifications.

Everything vendor-shaped stops here: callers get frozen dataclasses with Decimal money and UTC
datetimes. `client` is the HTTP client (the only importer of httpx) with its errors and factory;
`values` the values it returns; `changes` the changes it sends; `parsing` the one set of helpers
that read the vendor's JSON, for the API's answers and for `payloads`, the notifications.
"""

from subscriptions.cleverbridge.changes import (
    RENEWAL_TYPES,
    UPDATE_ACTIONS,
    AddItem,
    Change,
    DeactivateItems,
    IncreaseQuantity,
    PricedChange,
    ReinstateItems,
    SetRenewalType,
    UnpricedChange,
    UpdateItem,
)
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
from subscriptions.cleverbridge.payloads import EVENT_TYPES, SubscriptionEvent, parse_subscription_event
from subscriptions.cleverbridge.values import (
    ACTIVE,
    DEACTIVATED,
    FINISHED,
    MANUAL,
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
    "DEACTIVATED",
    "EVENT_TYPES",
    "FINISHED",
    "MANUAL",
    "RENEWAL_TYPES",
    "STATUS_LABELS",
    "UPDATE_ACTIONS",
    "AddItem",
    "Change",
    "CleverbridgeClient",
    "CleverbridgeError",
    "DeactivateItems",
    "Exchange",
    "IncreaseQuantity",
    "OutcomeUnknown",
    "PaymentInfo",
    "PricedChange",
    "Prices",
    "ReinstateItems",
    "Rejected",
    "SetRenewalType",
    "Subscription",
    "SubscriptionEvent",
    "SubscriptionItem",
    "Unavailable",
    "UnpricedChange",
    "UpdateItem",
    "VendorQuote",
    "get_client",
    "parse_subscription",
    "parse_subscription_event",
]
