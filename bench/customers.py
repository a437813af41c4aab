"""A customer's browser as the app sees it in production: behind TLS, signed in through a portal session.

The app runs with DEBUG off, so its cookies are `Secure`; the harness speaks plain HTTP on loopback and says
`X-Forwarded-Proto: https` as the TLS proxy in front of production does. httpx would keep Secure cookies from
a plain-HTTP origin, so a customer keeps its own cookies and sends them itself.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

STALE_MARKER = 'data-stale="true"'
FAILURE_MARKER = 'id="vendor-failure"'
QUOTE_PATH = re.compile(r"/changes/([0-9a-f-]{36})/")
ASSET = re.compile(r"""<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)\"""")
TIMEOUT = httpx.Timeout(45.0, connect=5.0)


def cookies_from(response: httpx.Response) -> dict[str, str]:
    found = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, value = header.split(";", 1)[0].partition("=")
        found[name.strip()] = value.strip()
    return found


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items() if value)


def page_kind(*, status: int, text: str) -> str:
    """`fresh`, `stale` (the page says its data is as of an earlier time) or `failed` (an error or the 503 page)."""
    if status != 200 or FAILURE_MARKER in text:
        return "failed"
    if STALE_MARKER in text:
        return "stale"
    return "fresh"


@dataclass
class Step:
    """One request a customer made: how long it took and what came back."""

    action: str
    status: int
    seconds: float
    location: str = ""
    text: str = ""


@dataclass
class Customer:
    base_url: str
    client: httpx.Client
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"https://{urlsplit(self.base_url).netloc}"

    def headers(self, *, htmx: bool = False, post: bool = False, gzip: bool = False) -> dict[str, str]:
        headers = {"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip" if gzip else "identity"}
        if self.cookies:
            headers["Cookie"] = cookie_header(self.cookies)
        if htmx:
            headers["HX-Request"] = "true"
        if post:
            headers["Origin"] = self.origin
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        return headers

    def send(self, action: str, method: str, path: str, *, data: dict | None = None, htmx: bool = False) -> Step:
        headers = self.headers(htmx=htmx, post=method == "POST")
        started = time.perf_counter()
        response = self.client.request(method, f"{self.base_url}{path}", data=data, headers=headers)
        seconds = time.perf_counter() - started
        self.cookies.update(cookies_from(response))
        return Step(action, response.status_code, seconds, response.headers.get("location", ""), response.text)


def portal_session_url(*, app_url: str, key: str, customer_id: int) -> str:
    """Ask for a portal session as the vendor's product does (server to server); the path of its link."""
    response = httpx.post(
        f"{app_url}/api/portal-sessions",
        json={"customer_id": customer_id, "return_url": "https://example.com/account"},
        headers={"Authorization": f"Bearer {key}", "X-Forwarded-Proto": "https"},
        timeout=TIMEOUT,
    )
    if response.status_code != 201:
        raise RuntimeError(f"portal session for {customer_id}: HTTP {response.status_code} {response.text[:300]}")
    return urlsplit(response.json()["url"]).path


def customer_sign_in(*, app_url: str, key: str, customer_id: int, client: httpx.Client) -> Customer:
    """A signed-in customer with a CSRF cookie, as after following the portal link to the list page."""
    customer = Customer(base_url=app_url, client=client)
    landing = customer.send("portal link", "GET", portal_session_url(app_url=app_url, key=key, customer_id=customer_id))
    if landing.status != 302 or "sessionid" not in customer.cookies:
        raise RuntimeError(f"portal link for {customer_id}: HTTP {landing.status}, no session")
    home = customer.send("subscription list", "GET", "/")
    if home.status != 200 or "csrftoken" not in customer.cookies:
        raise RuntimeError(f"list page for {customer_id}: HTTP {home.status}, no CSRF cookie")
    return customer


@dataclass(frozen=True)
class Transfer:
    page: int
    assets: int

    @property
    def total(self) -> int:
        return self.page + self.assets


def _wire_bytes(response: httpx.Response) -> int:
    """Bytes on the wire: the body as sent (compressed or not) and the status line and headers."""
    head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n") + 2
    head += sum(len(name) + len(value) + 4 for name, value in response.headers.raw)
    return head + response.num_bytes_downloaded


def first_visit_bytes(
    *, client: httpx.Client, base_url: str, path: str, cookies: dict[str, str], gzip: bool
) -> Transfer:
    """What a browser with an empty cache downloads for one page: the page, then its stylesheets and scripts."""
    headers = {"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip" if gzip else "identity"}
    if cookies:
        headers["Cookie"] = cookie_header(cookies)
    page = client.get(f"{base_url}{path}", headers=headers)
    if page.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {page.status_code}")
    assets = 0
    for asset in sorted(set(ASSET.findall(page.text))):
        answer = client.get(
            f"{base_url}{asset}", headers={key: headers[key] for key in ("X-Forwarded-Proto", "Accept-Encoding")}
        )
        if answer.status_code != 200:
            raise RuntimeError(f"{asset}: HTTP {answer.status_code}")
        assets += _wire_bytes(answer)
    return Transfer(page=_wire_bytes(page), assets=assets)
