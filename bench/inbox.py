"""A burst of the vendor's PaidOrderNotifications at the app's endpoint, and the count of what was stored."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import httpx
import psycopg

# A subscription no customer has: every message is stored and processed to `unmatched`, never paid.
FOREIGN_SUBSCRIPTION = "S99999901"
WAITING = ("received", "pending", "error")


def paid_order(*, purchase_id: int) -> bytes:
    """A valid PaidOrderNotification in the guides' shape (see docs/notifications.md), not a test purchase."""
    payload = {
        "meta": {
            "type": "PaidOrderNotification",
            "date": "2026-04-24T16:01:11.000000",
            "schemaUrl": "https://www.cleverbridge.com/JsonNotificationSchemas/PaidOrderNotification",
        },
        "purchaseId": purchase_id,
        "statusId": "PCA",
        "subscriptionRevenueCategoryId": "Alignment",
        "currencyId": "USD",
        "totalGrossPrice": "12.34",
        "items": [
            {
                "runningNumber": 1,
                "totalGrossPrice": "12.34",
                "recurringBilling": {
                    "subscriptionId": FOREIGN_SUBSCRIPTION,
                    "subscriptionItemRunningNo": 1,
                    "intervalNumber": 0,
                    "nextBillingDate": "2026-05-23T15:57:14.106747",
                },
            }
        ],
    }
    return json.dumps(payload).encode()


@dataclass(frozen=True)
class Burst:
    sent: int
    accepted: int
    seconds: float
    statuses: dict[int, int]

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


async def _post_all(
    url: str, purchase_ids: list[int], concurrency: int, timeout: float
) -> tuple[dict[int, int], float]:
    statuses: dict[int, int] = {}
    queue = list(reversed(purchase_ids))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Content-Type": "application/json", "X-Forwarded-Proto": "https"}

    async def sender(client: httpx.AsyncClient) -> None:
        while queue:
            purchase_id = queue.pop()
            try:
                answer = await client.post(url, content=paid_order(purchase_id=purchase_id), headers=headers)
                status = answer.status_code
            except httpx.HTTPError:
                status = 0
            statuses[status] = statuses.get(status, 0) + 1

    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0), limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(concurrency)))
        return statuses, time.perf_counter() - started


def burst_send(*, url: str, purchase_ids: list[int], concurrency: int, timeout: float = 30.0) -> Burst:
    statuses, seconds = asyncio.run(_post_all(url, purchase_ids, concurrency, timeout))
    return Burst(sent=len(purchase_ids), accepted=statuses.get(200, 0), seconds=seconds, statuses=statuses)


def stored_count(*, database_url: str, purchase_ids: list[int]) -> int:
    """Distinct purchases of the burst stored as originals in the app's inbox."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(DISTINCT purchase_id) FROM subscriptions_inboundnotification "
            "WHERE purchase_id = ANY(%s) AND duplicate_of_id IS NULL",
            (purchase_ids,),
        ).fetchone()
    return int(row[0]) if row else 0


def waiting_count(*, database_url: str, purchase_ids: list[int]) -> int:
    """Messages of the burst the worker has not finished with yet."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM subscriptions_inboundnotification WHERE purchase_id = ANY(%s) AND status = ANY(%s)",
            (purchase_ids, list(WAITING)),
        ).fetchone()
    return int(row[0]) if row else 0
