"""The zero-setup default under load: web server, worker and sandbox sender on one SQLite file at once.

Everything runs as `make demo` runs it, each in its own process on a temporary SQLite file and a free port;
the customer commits ten one-seat changes in a row over HTTP without a pause, and the test waits (polling the
database, with a deadline) until the sandbox has delivered every notification and every change is paid.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.multiprocess

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER_ID = 159215775  # Anna Schmidt in the demo scenario
SUBSCRIPTION_ID = 68574751
COMMITS = 10
SETTLE_SECONDS = 40
LOCKED = "database is locked"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Demo:
    base: str
    database: Path
    logs: dict[str, Path]
    portal_key: str

    def log_text(self) -> str:
        return "\n".join(f"--- {name}\n{path.read_text(errors='replace')}" for name, path in self.logs.items())

    def rows(self, sql: str) -> list[tuple]:
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()


def _manage(*args: str, env: dict[str, str]) -> str:
    command = [sys.executable, "manage.py", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _wait_until_serving(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "the web server exited:\n" + log.read_text()
        try:
            httpx.get(f"{base}/healthz", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the web server did not answer within 30 s:\n" + log.read_text())


@pytest.fixture
def demo(tmp_path) -> Iterator[Demo]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = tmp_path / "db.sqlite3"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CACHE_", "SANDBOX_", "CLEVERBRIDGE_", "TASKS_", "SITE_"))
    }
    env.update(
        DEBUG="true",
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{database}",
        CACHE_URL="locmemcache://",
        EMAIL_URL="consolemail://",
        SANDBOX_ENABLED="true",
        SITE_URL=base,
        CLEVERBRIDGE_API_URL=f"{base}/sandbox/api",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    _manage("migrate", "--noinput", env=env)
    _manage("demo_setup", env=env)
    portal_key = _manage("create_portal_key", "Cloudify", env=env).strip()

    logs = {name: tmp_path / f"{name}.log" for name in ("web", "worker", "sandbox-sweep")}
    commands = {
        "web": ["runserver", "--noreload", f"127.0.0.1:{port}"],
        "worker": ["work", "--interval", "0.5", "--no-startup-delay", "--sweep-every", "10"],
        "sandbox-sweep": ["sandbox_notifications", "--deliver", "--every", "5"],
    }
    processes = []
    try:
        for name, args in commands.items():
            with logs[name].open("w") as out:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                    )
                )
        _wait_until_serving(base, processes[0], logs["web"])
        yield Demo(base=base, database=database, logs=logs, portal_key=portal_key)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _signed_in(demo: Demo) -> httpx.Client:
    """A customer's browser, signed in through a portal session (as the vendor's product would link to us)."""
    browser = httpx.Client(base_url=demo.base, timeout=30, follow_redirects=False)
    asked = browser.post(
        "/api/portal-sessions",
        json={"customer_id": CUSTOMER_ID, "return_url": "https://example.com/account"},
        headers={"Authorization": f"Bearer {demo.portal_key}"},
    )
    assert asked.status_code == 201, asked.text
    landing = browser.get(asked.json()["url"])
    assert landing.status_code == 302, landing.text
    assert browser.get(f"/subscriptions/{SUBSCRIPTION_ID}/").status_code == 200
    return browser


def _commit_one_seat(browser: httpx.Client) -> list[int]:
    """Preview one more seat, open the quote, tick the consent box and confirm; every answer's status."""
    csrf = {"X-CSRFToken": browser.cookies["csrftoken"]}
    preview = browser.post(
        f"/subscriptions/{SUBSCRIPTION_ID}/changes/",
        data={"kind": "increase", "running_no": "1", "quantity": "1"},
        headers=csrf,
    )
    statuses = [preview.status_code]
    if preview.status_code != 302:
        return statuses
    quote_path = preview.headers["Location"]
    quote = browser.get(quote_path)
    commit = browser.post(f"{quote_path}commit/", data={"consent": "yes"}, headers=csrf)
    statuses += [quote.status_code, commit.status_code]
    if commit.status_code == 302:
        statuses.append(browser.get(commit.headers["Location"]).status_code)
    return statuses


def _settled(demo: Demo) -> bool:
    paid = demo.rows("SELECT count(*) FROM subscriptions_quote WHERE state = 'paid'")[0][0]
    waiting = demo.rows("SELECT count(*) FROM sandbox_notificationdelivery WHERE state != 'delivered'")[0][0]
    return paid >= COMMITS and waiting == 0


def _problems(logs: str) -> str:
    """The lines of the servers' logs that say what went wrong (errors and their exceptions)."""
    return "\n".join(re.findall(r"^.*(?:Error|ERROR|locked).*$", logs, flags=re.MULTILINE)[:20])


def test_ten_commits_in_a_row_all_get_paid_and_nothing_is_locked_out(demo):
    browser = _signed_in(demo)

    answers = [_commit_one_seat(browser) for _ in range(COMMITS)]

    deadline = time.monotonic() + SETTLE_SECONDS
    while not _settled(demo) and time.monotonic() < deadline:
        time.sleep(0.5)
    logs = demo.log_text()
    assert all(status < 500 for statuses in answers for status in statuses), f"{answers}\n{_problems(logs)}"
    assert [statuses[2:3] for statuses in answers] == [[302]] * COMMITS, answers
    purchases = demo.rows("SELECT count(*) FROM sandbox_purchase WHERE category = 'Alignment'")[0][0]
    assert purchases == COMMITS
    states = demo.rows("SELECT state, count(*) FROM subscriptions_quote GROUP BY state")
    assert dict(states) == {"paid": COMMITS}, f"{states}\n{_problems(logs)}"
    deliveries = demo.rows("SELECT state, attempts, last_status FROM sandbox_notificationdelivery")
    assert len(deliveries) == COMMITS and all(state == "delivered" for state, _, _ in deliveries), deliveries
    assert LOCKED not in logs.lower(), _problems(logs)
