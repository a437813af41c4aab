"""PaidOrderNotification bodies as the vendor sends them (the guides' shape), for posting by hand."""

from __future__ import annotations

import json
from typing import Any


def paid_order(
    *,
    purchase_id: int = 538990001,
    subscription_id: str | int = "S68574751",
    running_no: int = 1,
    gross: str = "1159.89",
    currency: str = "USD",
    status_id: str = "PCA",
    interval_number: int = 0,
    next_billing_date: str = "2026-05-23T15:57:14.106747",
) -> dict[str, Any]:
    return {
        "meta": {
            "type": "PaidOrderNotification",
            "date": "2026-04-24T16:01:11.000000",
            "schemaUrl": "https://www.cleverbridge.com/JsonNotificationSchemas/PaidOrderNotification",
        },
        "purchaseId": purchase_id,
        "statusId": status_id,
        "subscriptionRevenueCategoryId": "Alignment",
        "currencyId": currency,
        "totalGrossPrice": gross,
        "items": [
            {
                "runningNumber": 1,
                "totalGrossPrice": gross,
                "recurringBilling": {
                    "subscriptionId": subscription_id,
                    "subscriptionItemRunningNo": running_no,
                    "intervalNumber": interval_number,
                    "nextBillingDate": next_billing_date,
                },
            }
        ],
    }


def body(payload: Any) -> str:
    return json.dumps(payload)
