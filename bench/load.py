"""Offered load on an open-loop schedule: page views start at fixed times whether or not earlier ones finished.

A closed loop (send, wait, send) slows down when the server does and so hides the queue a real crowd builds;
here the n-th page view starts at n / rate seconds, and its time is counted from that planned start.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from bench.customers import cookie_header, page_kind


@dataclass(frozen=True)
class Visit:
    """One planned page view: when (seconds after the start), where and as whom."""

    at: float
    base_url: str
    path: str
    cookies: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    visit: Visit
    kind: str
    status: int
    seconds: float
    late: float


def schedule(
    *, rate: float, seconds: float, servers: Sequence[str], pages: Sequence[tuple[str, dict[str, str]]]
) -> list[Visit]:
    """`rate` page views a second for `seconds`, taking turns over the servers and over the (path, cookies) pages."""
    count = round(rate * seconds)
    return [
        Visit(
            at=index / rate,
            base_url=servers[index % len(servers)],
            path=pages[index % len(pages)][0],
            cookies=pages[index % len(pages)][1],
        )
        for index in range(count)
    ]


async def _visit(client: httpx.AsyncClient, visit: Visit, started: float) -> Outcome:
    await asyncio.sleep(max(0.0, started + visit.at - time.perf_counter()))
    late = time.perf_counter() - (started + visit.at)
    headers = {"X-Forwarded-Proto": "https", "Cookie": cookie_header(visit.cookies), "Accept-Encoding": "gzip"}
    try:
        response = await client.get(f"{visit.base_url}{visit.path}", headers=headers)
        status, kind = response.status_code, page_kind(status=response.status_code, text=response.text)
    except httpx.HTTPError:
        status, kind = 0, "failed"
    return Outcome(visit=visit, kind=kind, status=status, seconds=time.perf_counter() - (started + visit.at), late=late)


async def _offer(visits: list[Visit], timeout: float) -> list[Outcome]:
    limits = httpx.Limits(max_connections=len(visits) or 1, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0), limits=limits) as client:
        started = time.perf_counter()
        return await asyncio.gather(*(_visit(client, visit, started) for visit in visits))


def offer(visits: list[Visit], *, timeout: float) -> list[Outcome]:
    """Run the schedule; every page view ends within `timeout` of its start (then it counts as failed)."""
    return asyncio.run(_offer(visits, timeout))
