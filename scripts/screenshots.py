"""Render the main customer pages in Chromium and save them as PNGs under docs/screenshots/ (`make screenshots`).

Starts the demo (web server and background worker) on a free port with a throwaway SQLite database, signs in
as the guide's customer with the link the demo prints, and walks through adding 15 seats at the guide's moment
(sandbox clock 2026-04-24T16:01:10Z).
Needs Debian's Chromium at /usr/bin/chromium (or CHROMIUM=/path); nothing is downloaded.
"""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EMAIL = "anna.schmidt@example.com"
DESKTOP = {"width": 1100, "height": 800}
PHONE = {"width": 375, "height": 740}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args: str, env: dict[str, str]) -> None:
    command = [sys.executable, "manage.py", *args]
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 (our own manage.py)


def start_server(env: dict[str, str], port: int) -> tuple[subprocess.Popen, queue.Queue[str]]:
    """runserver in the background; its output (where the demo's e-mails appear) is collected line by line."""
    server = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in server.stdout], daemon=True).start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in/", timeout=2)
            return server, lines
        except OSError:
            if server.poll() is not None:
                raise SystemExit("runserver exited:\n" + "".join(iter_lines(lines))) from None
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("runserver did not answer within 30 s")


def iter_lines(lines: queue.Queue[str]):
    while not lines.empty():
        yield lines.get_nowait()


def sign_in_link(lines: queue.Queue[str], port: int) -> str:
    pattern = re.compile(rf"http://127\.0\.0\.1:{port}/sign-in/[^/\s]+/")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            found = pattern.search(lines.get(timeout=0.5))
        except queue.Empty:
            continue
        if found:
            return found.group(0)
    raise SystemExit("no sign-in link in the demo's e-mail output")


def shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    page.wait_for_load_state("networkidle")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    print(f"  {path.relative_to(ROOT)}")


def capture(base: str, port: int, lines: queue.Queue[str]) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=DESKTOP, locale="en-US", device_scale_factor=1)
        page = context.new_page()

        page.goto(f"{base}/sign-in/")
        page.get_by_label("E-mail address").fill(EMAIL)
        shoot(page, "sign-in")
        page.get_by_role("button", name="Send me a sign-in link").click()
        page.goto(sign_in_link(lines, port))
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="My subscriptions").wait_for()
        shoot(page, "subscriptions")

        page.goto(f"{base}/subscriptions/68574751/")
        shoot(page, "subscription")

        offer = page.locator("li.offer-increase").first
        offer.get_by_label("Seats to add").fill("15")
        offer.get_by_role("button", name="See the price").click()
        quote = page.locator("section.quote")
        quote.wait_for()
        page.goto(page.url if "/changes/" in page.url else _quote_url(page, base))
        page.locator("section.quote input[type=checkbox]").check()
        shoot(page, "quote")

        phone = browser.new_context(viewport=PHONE, locale="en-US", device_scale_factor=2, is_mobile=True)
        phone.add_cookies(context.cookies())
        phone_page = phone.new_page()
        phone_page.goto(page.url)
        phone_page.locator("section.quote input[type=checkbox]").check()
        shoot(phone_page, "quote-375")

        page.get_by_role("button", name="Confirm and pay").click()
        page.locator("#outcome-message").wait_for()
        page.goto(_receipt_url(page, base))
        try:  # the worker delivers the sandbox's payment notification; the receipt polls until it says paid
            page.locator("#payment-confirmed").wait_for(timeout=20_000)
        except PlaywrightTimeout:
            print("  (no payment notification within 20 s: the receipt shows the change waiting for payment)")
        shoot(page, "receipt")

        page.goto(f"{base}/subscriptions/68574751/cancel/")
        page.locator('input[name=reason_code][value="too_expensive"]').check()
        shoot(page, "cancel")

        page.goto(f"{base}/subscriptions/68574751/")
        offer = page.locator("li.offer-reduce").first
        offer.locator("input[type=number]").fill("20")
        offer.locator("button").click()
        page.locator("section.quote input[type=checkbox]").check()
        page.locator("section.quote .consent-form button").click()
        page.locator("#outcome-message").wait_for()
        page.goto(f"{base}/subscriptions/68574751/")
        page.locator("#scheduled").wait_for()
        shoot(page, "scheduled")
        browser.close()


def _quote_url(page: Page, base: str) -> str:
    """The quote's own page (with htmx the quote appeared in place on the subscription page)."""
    public_id = page.locator("section.quote").get_attribute("id").removeprefix("quote-")
    return f"{base}/changes/{public_id}/"


def _receipt_url(page: Page, base: str) -> str:
    public_id = page.locator("section.outcome").get_attribute("id").removeprefix("outcome-")
    return f"{base}/changes/{public_id}/receipt/"


def main() -> None:
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="selfservice-screenshots-") as tmp:
        env = {
            **os.environ,
            "DEBUG": "true",
            "PORT": str(port),
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "EMAIL_URL": "consolemail://",
            "CACHE_URL": "locmemcache://",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "CLEVERBRIDGE_API_URL": f"http://127.0.0.1:{port}/sandbox/api",
            "PYTHONUNBUFFERED": "1",
        }
        manage("migrate", "--noinput", env=env)
        manage("demo_setup", env=env)
        server, lines = start_server(env, port)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "work", "--interval", "0.5", "--no-startup-delay", "--sweep-every", "10"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            print(f"Screenshots of http://127.0.0.1:{port}/ into {OUT.relative_to(ROOT)}/:")
            capture(f"http://127.0.0.1:{port}", port, lines)
        finally:
            for process in (worker, server):
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    main()
