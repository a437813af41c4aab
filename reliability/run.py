"""`make reliability`: the product's promises under faults, counted (docs/reliability.md).

The processes are the benchmark's (`bench.run.Bench`): the sandbox as its own server, a counting proxy in front of
it, the app under gunicorn with `gunicorn.conf.py` and its worker (`manage.py work`), on PostgreSQL and on a Redis
server of the run's own (it is stopped and started again in case 4). Every case is judged by `reliability.verdicts`;
the run fails on any defect.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg

from bench.customers import QUOTE_PATH, Customer
from bench.run import Bench, Plan, base_env, git_commit, run_to_end
from bench.servers import ROOT, Service, database_url, free_port, manage, python_argv
from reliability import verdicts
from reliability.verdicts import Commit, Defects, Purchase
from subscriptions.ledger_guard import ENTRIES, POSTGRESQL_INSTALL

RESULTS = ROOT / "reliability" / "results"
DEMO = ROOT / "sandbox" / "scenarios" / "demo.json"
SANDBOX_AUTH = ("sandbox", "sandbox")
READ_TIMEOUT = 1.5
BEYOND_TIMEOUT = READ_TIMEOUT + 1.0
MAX_TRIES = 3
APP_BUDGET_PER_SECOND = 8
VENDOR_LIMIT_PER_SECOND = 10
SETTLE_SECONDS = 120.0
IN_FLIGHT = ("committing", "outcome_unknown")

READS = ("getsubscription", "getsubscriptionsforcustomer")
CHANGES = {
    "increasesubscriptionitemquantity": ("increase", "A", {"kind": "increase", "running_no": "1", "quantity": "1"}),
    "updatesubscriptionitem": ("coterm", "B", {"kind": "coterm", "running_no": "1", "product_id": "294835"}),
    "addsubscriptionitem": ("addon", "A", {"kind": "addon", "product_id": "293161"}),
}
FAULTS = {
    "500": {"mode": "error", "status": 500},
    "429": {"mode": "error", "status": 429},
    "503": {"mode": "error", "status": 503},
    "malformed": {"mode": "malformed"},
    "delay": {"mode": "delay", "delay_seconds": BEYOND_TIMEOUT},
    "refused": None,
    "apply_then_error": {"mode": "apply_then_error", "status": 500},
    "apply_then_error 429": {"mode": "apply_then_error", "status": 429},
    "apply_then_stall": {"mode": "apply_then_stall", "delay_seconds": BEYOND_TIMEOUT},
}
QUICK_FAULTS = ("500", "429", "malformed", "refused", "apply_then_error", "apply_then_error 429", "apply_then_stall")


def say(message: str) -> None:
    print(f"[reliability {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Flow:
    """One customer action under one fault: `page` (list or subscription), `preview` or `confirm` of a change."""

    method: str
    action: str
    change: str = ""

    @property
    def name(self) -> str:
        return f"{self.method} {self.action}{' ' + self.change if self.change else ''}"


def flows() -> list[Flow]:
    found = [Flow("getsubscriptionsforcustomer", "list"), Flow("getsubscription", "page")]
    for change in CHANGES:
        found += [Flow("getsubscription", "preview", change), Flow("getsubscription", "confirm", change)]
    for method in CHANGES:
        found += [Flow(method, "preview", method), Flow(method, "confirm", method)]
    return found


def scenario_write(path: Path, *, customers: int) -> dict:
    """The demo's products and clock, and `customers` customers each with an M (10 seats) and a Storage A (1 seat)."""
    demo = json.loads(DEMO.read_text())
    card = demo["subscriptions"][0]["payment"]
    scenario: dict = {"clock": demo["clock"], "products": demo["products"], "customers": [], "subscriptions": []}
    for number in range(customers):
        customer_id = 170_000_000 + number
        scenario["customers"].append(
            {"id": customer_id, "email": f"r{number}@reliability.example.com", "country": "US", "locale": "en"}
        )
        for offset, product, quantity in ((0, 293160, 10), (1, 294835, 1)):
            scenario["subscriptions"].append(
                {
                    "id": 80_000_000 + number * 2 + offset,
                    "customer_id": customer_id,
                    "currency": "USD",
                    "start": demo["subscriptions"][1]["start"],
                    "payment": card,
                    "items": [{"product_id": product, "quantity": quantity}],
                }
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(scenario, indent=1))
    return scenario


class Reliability(Bench):
    """The benchmark's processes, set for faults: low timeouts, a quick sweep, its own Redis and databases."""

    app_database = "reliability_app"
    sandbox_database = "reliability_sandbox"
    redis_db = 0

    def __init__(self, *, quick: bool, out: Path, postgres_restart: bool) -> None:
        self.scenario_path = out / "scenario.json"
        self.fault_names = QUICK_FAULTS if quick else tuple(FAULTS)
        self.flows = flows()
        self.needed = len(self.flows) * len(self.fault_names) + 24
        scenario_write(self.scenario_path, customers=self.needed)
        self.redis_port = free_port()
        self.postgres_restart = postgres_restart
        super().__init__(Plan(1, 0, 0, 0, 0, 1, 0, web_concurrency=3), logs=out / "logs", static=out / "static")
        self.rows: dict[str, Defects] = {}
        self.spare = list(self.scenario["customers"])
        self.confirms: list[tuple[str, Customer, str, str]] = []
        self.redis = Service(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            base_env(),
            self.logs / "redis.log",
            port=self.redis_port,
        )

    # --- the processes, the benchmark's with the run's settings -------------------------------------------------

    def app_env(self, *, port: int, budget: float | None = None) -> dict[str, str]:
        env = super().app_env(port=port, budget=APP_BUDGET_PER_SECOND)
        env.update(
            {
                "CLEVERBRIDGE_ACCEPT_TEST_PURCHASES": "true",
                "CLEVERBRIDGE_READ_TIMEOUT": str(READ_TIMEOUT),
                "CLEVERBRIDGE_CONNECT_TIMEOUT": "1",
                "CLEVERBRIDGE_MAX_TRIES": str(MAX_TRIES),
                "CLEVERBRIDGE_RATE_BURST": "2",
                "RECONCILE_STUCK_COMMITTING_SECONDS": "4",
                "RECONCILE_BACKOFF_SECONDS": "1,1,2,2,3",
                "RECONCILE_GRACE_SECONDS": "4",
                "NOTIFICATION_RETRY_SECONDS": "1",
                "CONN_MAX_AGE": "60",
                "GUNICORN_THREADS": "4",
                # The sandbox delivers its notifications over plain HTTP on loopback, without the TLS proxy's header.
                "SECURE_SSL_REDIRECT": "false",
            }
        )
        return env

    def sandbox_env(self, *, port: int, limit: int) -> dict[str, str]:
        return {**super().sandbox_env(port=port, limit=limit), "SANDBOX_NOTIFICATION_RETRY_SECONDS": "2"}

    def app_argv(self, *, port: int) -> list[str]:
        return python_argv(
            "-m", "gunicorn", "-c", "gunicorn.conf.py", "selfservice.wsgi", "--bind", f"127.0.0.1:{port}"
        )

    def app_worker_argv(self) -> list[str]:
        return python_argv("manage.py", "work", "--interval", "0.3", "--no-startup-delay", "--sweep-every", "1")

    def setup(self) -> None:
        self.redis.start()
        _wait_for(lambda: _redis_answers(self.redis_port), seconds=10, what="the run's Redis")
        super().setup()

    def stop_all(self) -> None:
        super().stop_all()
        self.redis.stop()

    # --- helpers ------------------------------------------------------------------------------------------------

    @property
    def app(self) -> Service:
        return self.services["app"]

    @property
    def sandbox(self) -> Service:
        return self.services["sandbox"]

    def customer_next(self) -> tuple[Customer, dict, int, int]:
        """A customer no case has used: (signed-in customer, scenario entry, subscription A, subscription B)."""
        entry = self.spare.pop(0)
        number = entry["id"] - 170_000_000
        return self.customers[entry["id"]], entry, 80_000_000 + number * 2, 80_000_000 + number * 2 + 1

    def control(self, method: str, path: str, **kwargs) -> httpx.Response:
        answer = httpx.request(
            method, f"{self.sandbox.url}/sandbox/control/{path}", auth=SANDBOX_AUTH, timeout=30.0, **kwargs
        )
        answer.raise_for_status()
        return answer

    def fault_plan(self, *, method: str, fault: str, on: str, count: int) -> None:
        if FAULTS[fault] is None:
            assert self.proxy is not None
            self.proxy.refuse_next(count, method=method, on=on)
        else:
            self.control("POST", "faults", json={"method": method, "count": count, "on": on, **FAULTS[fault]})

    def faults_clear(self) -> None:
        assert self.proxy is not None
        self.proxy.refuse_next(0)
        self.control("DELETE", "faults")

    def purchases(self, subscription_id: int) -> list[Purchase]:
        """The subscription's change charges at the sandbox (the scenario's own purchases are `New`)."""
        answer = self.control("GET", "purchases", params={"subscription_id": subscription_id})
        return [
            Purchase(int(p["PurchaseId"]), Decimal(str(p["GrossPrice"])))
            for p in answer.json()["Purchases"]
            if p["Category"] == "Alignment"
        ]

    def query(self, statement: str, parameters: tuple = ()) -> list[tuple]:
        with psycopg.connect(database_url(self.app_database)) as connection:
            return connection.execute(statement, parameters).fetchall()

    def quote_row(self, quote_id: str) -> tuple | None:
        rows = self.query(
            "SELECT q.state, q.charge_now_gross, c.given_at, q.commit_sent_at, q.purchase_id "
            "FROM subscriptions_quote q LEFT JOIN subscriptions_consent c ON c.quote_id = q.id "
            "WHERE q.public_id = %s",
            (quote_id,),
        )
        return rows[0] if rows else None

    def preview(self, customer: Customer, subscription_id: int, change: dict) -> tuple[int, str, str]:
        """(status, body, quote id or "") of a plain preview."""
        step = customer.send("preview", "POST", f"/subscriptions/{subscription_id}/changes/", data=change)
        found = QUOTE_PATH.search(step.location)
        return step.status, step.text, found.group(1) if found else ""

    def commit_judged(self, label: str, customer: Customer, quote_id: str, subscription_id: int) -> Defects:
        row = self.quote_row(quote_id)
        if row is None:
            return Defects(harness_failures=1, notes=[f"{label}: quote {quote_id} not found"])
        _, consented, consent_at, sent_at, purchase_id = row
        receipt = customer.send("receipt", "GET", f"/changes/{quote_id}/receipt/")
        found = verdicts.statuses_judged([(f"{label} receipt", receipt.status, receipt.text)])
        commit = Commit(
            words=verdicts.receipt_words(receipt.text),
            purchases=tuple(self.purchases(subscription_id)),
            consented_gross=consented if consent_at is not None else None,
            consent_at=consent_at,
            commit_sent_at=sent_at,
            matched_purchase_id=purchase_id,
        )
        found.add(verdicts.commit_judged(label, commit))
        return found

    def settle_wait(self, quote_ids: list[str]) -> None:
        """Until none of the quotes is in flight (the worker's sweep settles them by reads), or SETTLE_SECONDS."""
        if not quote_ids:
            return
        _wait_for(
            lambda: (
                not self.query(
                    "SELECT 1 FROM subscriptions_quote WHERE public_id = ANY(%s) AND state = ANY(%s)",
                    ([uuid.UUID(q) for q in quote_ids], list(IN_FLIGHT)),
                )
            ),
            seconds=SETTLE_SECONDS,
            what="in-flight quotes to settle",
            fail=False,
        )

    # --- 1: twenty confirms of one quote ------------------------------------------------------------------------

    def case_concurrent_confirms(self) -> None:
        say("1: 20 concurrent confirms of one quote")
        customer, _, sub_a, _ = self.customer_next()
        row = Defects(cases=1)
        status, _text, quote_id = self.preview(customer, sub_a, CHANGES["increasesubscriptionitemquantity"][2])
        if not quote_id:
            self.rows["1 concurrent confirms"] = Defects(cases=1, harness_failures=1, notes=[f"preview {status}"])
            return
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            steps = list(
                pool.map(
                    lambda _: customer.send("confirm", "POST", f"/changes/{quote_id}/commit/", data={"consent": "yes"}),
                    range(20),
                )
            )
        row.add(verdicts.statuses_judged([(f"confirm {n}", s.status, s.text) for n, s in enumerate(steps)]))
        refused = [s for s in steps if s.status != 302]
        untruthful = [s for s in refused if s.status != 409]
        if untruthful or len(refused) != 19:
            row.wrong_words += 1
            row.notes.append(f"20 confirms answered {sorted(s.status for s in steps)}; expected one 302 and 409s")
        consents = self.query(
            "SELECT count(*) FROM subscriptions_consent c JOIN subscriptions_quote q ON q.id = c.quote_id "
            "WHERE q.public_id = %s",
            (quote_id,),
        )[0][0]
        if consents != 1:
            row.consents_lost += 1
            row.notes.append(f"{consents} consents for one quote")
        self.settle_wait([quote_id])
        row.add(self.commit_judged("20 confirms", customer, quote_id, sub_a))
        self.rows["1 concurrent confirms"] = row
        self.paid_quote = (customer, quote_id, sub_a)

    # --- 2: the server killed between consent and answer ---------------------------------------------------------

    def case_kill(self) -> None:
        say("2: kill -9 of the app server while the commit is at the vendor, then a restart")
        customer, _, sub_a, _ = self.customer_next()
        row = Defects(cases=1)
        _, _, quote_id = self.preview(customer, sub_a, CHANGES["increasesubscriptionitemquantity"][2])
        self.control(
            "POST",
            "faults",
            json={
                "method": "increasesubscriptionitemquantity",
                "on": "commit",
                "mode": "apply_then_stall",
                "delay_seconds": 5,
            },
        )
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            sent = pool.submit(
                _quietly,
                lambda: customer.send("confirm", "POST", f"/changes/{quote_id}/commit/", data={"consent": "yes"}),
            )
            held = _wait_for(
                lambda: (self.quote_row(quote_id) or (None,) * 5)[3] is not None, seconds=20, what="", fail=False
            )
            os.killpg(self.app.pid, signal.SIGKILL)
            self.app.process.wait(timeout=10)
            sent.result(timeout=30)
        if not held:
            row.harness_failures += 1
            row.notes.append("the commit was never sent; nothing to kill in between")
        self.services.pop("app")
        self.faults_clear()
        self.app_start("app", port=self.app_port)
        self.settle_wait([quote_id])
        row.add(self.commit_judged("killed mid-commit", customer, quote_id, sub_a))
        self.rows["2 server killed mid-commit"] = row

    # --- 3: the fault matrix ------------------------------------------------------------------------------------

    def case_matrix(self) -> None:
        cases = [(flow, fault) for flow in self.flows for fault in self.fault_names]
        say(f"3: the fault matrix, {len(cases)} cases")
        row = Defects()
        judged: list[tuple[str, Customer, str, int]] = []
        for flow, fault in cases:
            label = f"{flow.name} x {fault}"
            customer, _, sub_a, sub_b = self.customer_next()
            row.cases += 1
            try:
                answers, quote = self.matrix_case(flow, fault, customer, sub_a, sub_b)
            except Exception as exc:  # one broken case is counted, the others still run
                row.harness_failures += 1
                row.notes.append(f"{label}: the harness failed: {exc!r}")
                continue
            finally:
                self.faults_clear()
                self.vendor_block_lift()
            row.add(verdicts.statuses_judged([(f"{label} {name}", s, t) for name, s, t in answers]))
            if quote is not None:
                judged.append((label, customer, *quote))
        say(f"3: waiting for {len(judged)} confirmed quotes to settle")
        self.settle_wait([quote_id for _, _, quote_id, _ in judged])
        for label, customer, quote_id, subscription_id in judged:
            row.add(self.commit_judged(label, customer, quote_id, subscription_id))
        self.rows["3 fault matrix"] = row

    def matrix_case(
        self, flow: Flow, fault: str, customer: Customer, sub_a: int, sub_b: int
    ) -> tuple[list[tuple[str, int, str]], tuple[str, int] | None]:
        """The answers the customer got, and (quote id, subscription) when a confirm was sent."""
        if flow.action in ("list", "page"):
            self.fault_plan(method=flow.method, fault=fault, on="any", count=MAX_TRIES)
            path = "/" if flow.action == "list" else f"/subscriptions/{sub_a}/"
            step = customer.send(flow.action, "GET", path)
            return [(flow.action, step.status, step.text)], None
        _, which, change = CHANGES[flow.change]
        subscription_id = sub_a if which == "A" else sub_b
        on = "any" if flow.method in READS else ("preview" if flow.action == "preview" else "commit")
        if flow.action == "preview":
            self.fault_plan(method=flow.method, fault=fault, on=on, count=MAX_TRIES)
            status, text, _ = self.preview(customer, subscription_id, change)
            return [("preview", status, text)], None
        status, text, quote_id = self.preview(customer, subscription_id, change)
        if not quote_id:
            raise RuntimeError(f"the preview before the confirm answered {status}")
        self.fault_plan(method=flow.method, fault=fault, on=on, count=1 if on == "commit" else MAX_TRIES)
        step = customer.send("confirm", "POST", f"/changes/{quote_id}/commit/", data={"consent": "yes"})
        return [("preview", status, text), ("confirm", step.status, step.text)], (quote_id, subscription_id)

    # --- 4: Redis and PostgreSQL failing ------------------------------------------------------------------------

    def pages_offered(self, label: str, seconds: float) -> Defects:
        """Pages of several customers, four at a time, for `seconds`; vendor calls per second counted at the proxy."""
        assert self.proxy is not None
        visitors = [self.customer_next() for _ in range(4)]
        row = Defects()
        answers: list[tuple[str, int, str]] = []
        self.proxy.reset()
        deadline = time.monotonic() + seconds

        def visit(visitor: tuple[Customer, dict, int, int]) -> None:
            customer, _, sub_a, sub_b = visitor
            while time.monotonic() < deadline:
                for path in ("/", f"/subscriptions/{sub_a}/", f"/subscriptions/{sub_b}/"):
                    step = _quietly(lambda path=path: customer.send("page", "GET", path))
                    if step is not None:
                        answers.append((f"{label} {path}", step.status, step.text))

        with concurrent.futures.ThreadPoolExecutor(len(visitors)) as pool:
            list(pool.map(visit, visitors))
        row.cases += 1
        row.add(verdicts.statuses_judged(answers))
        row.add(
            verdicts.busiest_second_judged(
                label, by_second=self.proxy.counts().by_second, limit=VENDOR_LIMIT_PER_SECOND
            )
        )
        failed = sum(1 for _, status, _ in answers if status != 200)
        row.notes.append(
            f"{label}: {len(answers)} pages, {failed} not 200, busiest second "
            f"{self.proxy.counts().busiest_second} vendor calls"
        )
        return row

    def case_redis(self) -> None:
        say("4: Redis stopped, pages offered, Redis started again")
        row = Defects()
        self.redis.stop()
        try:
            row.add(self.pages_offered("Redis down", 6.0))
        finally:
            self.redis.start()
            _wait_for(lambda: _redis_answers(self.redis_port), seconds=10, what="the run's Redis")
        row.add(self.pages_offered("Redis back", 4.0))
        customer, _, sub_a, _ = self.customer_next()
        row.add(self.change_made("after Redis's restart", customer, sub_a))
        self.rows["4 Redis stopped"] = row

    def change_made(self, label: str, customer: Customer, subscription_id: int) -> Defects:
        row = Defects(cases=1)
        status, text, quote_id = self.preview(customer, subscription_id, CHANGES["increasesubscriptionitemquantity"][2])
        row.add(verdicts.statuses_judged([(f"{label} preview", status, text)]))
        if not quote_id:
            row.harness_failures += 1
            row.notes.append(f"{label}: the preview answered {status}")
            return row
        step = customer.send("confirm", "POST", f"/changes/{quote_id}/commit/", data={"consent": "yes"})
        row.add(verdicts.statuses_judged([(f"{label} confirm", step.status, step.text)]))
        self.settle_wait([quote_id])
        row.add(self.commit_judged(label, customer, quote_id, subscription_id))
        return row

    def case_postgres(self) -> None:
        say("4: PostgreSQL restarted (pg_ctlcluster), then pages and a change")
        version = sorted(os.listdir("/etc/postgresql"))[0]
        subprocess.run(["pg_ctlcluster", version, "main", "restart"], check=True, timeout=120)
        _wait_for(lambda: _postgres_answers(self.app_database), seconds=60, what="PostgreSQL")
        row = self.pages_offered("after PostgreSQL's restart", 3.0)
        customer, _, sub_a, _ = self.customer_next()
        row.add(self.change_made("after PostgreSQL's restart", customer, sub_a))
        self.rows["4 PostgreSQL restarted"] = row

    # --- 5: notifications replayed and malformed ----------------------------------------------------------------

    def case_notifications(self) -> None:
        say("5: 100 replays and 25 malformed notifications")
        row = Defects(cases=2)
        _, quote_id, subscription_id = self.paid_quote
        _wait_for(
            lambda: (self.quote_row(quote_id) or ("",))[0] == "paid", seconds=60, what="the paid quote", fail=False
        )
        bodies: list[dict] = []

        def delivered() -> bool:
            sent = self.control("GET", "notifications", params={"subscription_id": subscription_id}).json()
            bodies[:] = [n["body"] for n in sent["Notifications"] if n["state"] == "delivered"]
            return bool(bodies)

        _wait_for(delivered, seconds=SETTLE_SECONDS, what="a delivered notification", fail=False)
        if not bodies:
            row.harness_failures += 1
            row.notes.append("no delivered notification to replay")
            self.rows["5 notifications"] = row
            return
        url = f"{self.app.url}/cleverbridge/notifications/{self.notification_secret}/"
        headers = {"Content-Type": "application/json", "X-Forwarded-Proto": "https"}
        body = json.dumps(bodies[0], default=str)
        answers = [("replay", *_post(url, body, headers)) for _ in range(100)]
        payments = int(
            self.query(
                "SELECT count(*) FROM subscriptions_ledgerentry e JOIN subscriptions_quote q ON q.id = e.quote_id "
                "WHERE e.action = 'change.paid' AND q.public_id = %s",
                (quote_id,),
            )[0][0]
        )
        if payments > 1:
            row.double_charges += 1
            row.notes.append(f"{payments} payments of one quote after 100 replays")
        if any(status != 200 for _, status, _ in answers):
            row.wrong_words += 1
            row.notes.append(f"replays answered {sorted({status for _, status, _ in answers})}")
        malformed_before = self._count(
            "SELECT count(*) FROM subscriptions_inboundnotification WHERE status = 'malformed'"
        )
        bad = [_malformed(bodies[0], n) for n in range(25)]
        bad_answers = [("malformed", *_post(url, text, headers)) for text in bad]
        kept = (
            self._count("SELECT count(*) FROM subscriptions_inboundnotification WHERE status = 'malformed'")
            - malformed_before
        )
        if kept != 25 or any(status != 400 for _, status, _ in bad_answers):
            row.wrong_words += 1
            row.notes.append(
                f"malformed: {kept} of 25 kept, answers {sorted({status for _, status, _ in bad_answers})}"
            )
        row.add(verdicts.statuses_judged(answers + bad_answers))
        self.rows["5 notifications"] = row

    def _count(self, statement: str) -> int:
        return int(self.query(statement)[0][0])

    # --- 6: the access matrix -----------------------------------------------------------------------------------

    def case_access(self) -> None:
        say("6: the access matrix")
        owner, owner_entry, own_a, _ = self.customer_next()
        other, _, other_a, _ = self.customer_next()
        _, _, quote_id = self.preview(owner, own_a, CHANGES["increasesubscriptionitemquantity"][2])
        used = self.paid_quote[1]
        charge = str((self.quote_row(quote_id) or (None, ""))[1])
        foreign = [owner_entry["email"], f"S{own_a}", charge]
        unknown_quote = str(uuid.uuid4())
        targets = {
            "foreign": (own_a, quote_id),
            "foreign used": (own_a, used),
            "unknown": (99_999_999, unknown_quote),
        }
        anonymous = Customer(base_url=self.app.url, client=self.client)
        row = Defects()
        for who, visitor, signed_in in (("other customer", other, True), ("no session", anonymous, False)):
            for kind, (subscription_id, quote) in targets.items():
                requests = [
                    ("subscription", "GET", f"/subscriptions/{subscription_id}/", None),
                    (
                        "preview",
                        "POST",
                        f"/subscriptions/{subscription_id}/changes/",
                        CHANGES["increasesubscriptionitemquantity"][2],
                    ),
                    ("quote", "GET", f"/changes/{quote}/", None),
                    ("commit", "POST", f"/changes/{quote}/commit/", {"consent": "yes"}),
                    ("receipt", "GET", f"/changes/{quote}/receipt/", None),
                ]
                for name, method, path, data in requests:
                    step = visitor.send(name, method, path, data=data)
                    row.cases += 1
                    row.add(verdicts.statuses_judged([(f"{who} {kind} {name}", step.status, step.text)]))
                    row.add(
                        verdicts.leak_judged(
                            f"{who} {kind} {name}",
                            status=step.status,
                            text=step.text,
                            foreign=foreign,
                            signed_in=signed_in,
                        )
                    )
        for name, path in (("list", "/"), ("history", "/changes/")):
            step = other.send(name, "GET", path)
            row.cases += 1
            shown = [value for value in foreign if value and value in step.text]
            if step.status != 200 or shown:
                row.leaks += 1
                row.notes.append(f"another customer's {name}: HTTP {step.status}, shows {shown}")
        if self.quote_row(quote_id)[0] != "quoted":
            row.leaks += 1
            row.notes.append("another customer's confirm moved the owner's quote")
        del other_a
        self.rows["6 access matrix"] = row

    # --- 7: the ledger edited by SQL ----------------------------------------------------------------------------

    def case_ledger(self) -> None:
        say("7: a one-cent edit of the ledger, refused; then with the trigger dropped, detected")
        row = Defects(cases=2, tamper_cases=1)
        env = self.app_env(port=self.app_port)
        with psycopg.connect(database_url(self.app_database), autocommit=True) as connection:
            entry_id, sequence, data = connection.execute(
                f"SELECT id, sequence, data FROM {ENTRIES} WHERE action = 'change.consented' ORDER BY sequence LIMIT 1"
            ).fetchone()
            edited = _one_cent_more(data)
            try:
                connection.execute(f"UPDATE {ENTRIES} SET data = %s WHERE id = %s", (json.dumps(edited), entry_id))
                row.notes.append("the database accepted an edit of the ledger")
                refused = False
            except psycopg.Error:
                refused = True
            if not refused:
                row.tamper_cases += 1
            connection.execute(f"DROP TRIGGER IF EXISTS {ENTRIES}_append_only ON {ENTRIES}")
            try:
                connection.execute(f"UPDATE {ENTRIES} SET data = %s WHERE id = %s", (json.dumps(edited), entry_id))
                done = subprocess.run(
                    python_argv("manage.py", "verify_ledger"),
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                if done.returncode != 0 and str(sequence) in done.stdout + done.stderr:
                    row.tampering_detected += 1
                else:
                    row.notes.append(f"verify_ledger after the edit: {done.returncode} {done.stderr[-300:]}")
            finally:
                connection.execute(f"UPDATE {ENTRIES} SET data = %s WHERE id = %s", (json.dumps(data), entry_id))
                for statement in POSTGRESQL_INSTALL:
                    connection.execute(statement)
        manage("verify_ledger", env=env)
        self.rows["7 ledger tampering"] = row

    def vendor_block_lift(self) -> None:
        """A case that drew a 429 leaves the vendor's minute-long block in the shared budget (and in the memory of the
        app's workers that saw it); the next case should meet a vendor that answers, as it would a minute later.
        So the block's key is removed from the run's Redis and the app server restarted, instead of waiting it out."""
        key = "vendor-budget:blocked-until"
        found = subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), "GET", key], capture_output=True, text=True, check=False
        ).stdout.strip()
        if not found:
            return
        subprocess.run(["redis-cli", "-p", str(self.redis_port), "DEL", key], capture_output=True, check=False)
        say("lifting the vendor's block left by the last case (its key, and the app's memory by a restart)")
        self.service_stop("app")
        self.app_start("app", port=self.app_port)

    def run(self) -> None:
        self.setup()
        for case in (
            self.case_concurrent_confirms,
            self.case_kill,
            self.case_matrix,
            self.case_redis,
            *((self.case_postgres,) if self.postgres_restart else ()),
            self.case_notifications,
            self.case_access,
            self.case_ledger,
        ):
            case()
            self.vendor_block_lift()


def _quietly(send: Callable):
    """A request's step, or None when the server went away under it (as it does when killed)."""
    try:
        return send()
    except httpx.HTTPError:
        return None


def _post(url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    answer = httpx.post(url, content=body.encode(), headers=headers, timeout=30.0)
    return answer.status_code, answer.text


def _malformed(body: dict, number: int) -> str:
    """Twenty-five ways a PaidOrderNotification can be wrong: not JSON, wrong types, missing fields."""
    wrong = dict(body)
    kind = number % 5
    if kind == 0:
        return '{"meta": {"type": "PaidOrderNotification"}, "purchaseId": ' + str(number)
    if kind == 1:
        wrong["purchaseId"] = f"not-a-number-{number}"
    elif kind == 2:
        wrong.pop("items", None)
        wrong["purchaseId"] = -number - 1
    elif kind == 3:
        wrong["totalGrossPrice"] = {"amount": number}
        wrong["purchaseId"] = 990_000_000 + number
    else:
        wrong["items"] = "none"
        wrong["purchaseId"] = 991_000_000 + number
    return json.dumps(wrong, default=str)


def _one_cent_more(data: dict) -> dict:
    """The entry's data with its first amount one minor unit higher (amounts are minor units, as strings)."""
    edited = json.loads(json.dumps(data))
    stack = [edited]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for key, value in list(items):
            if isinstance(value, str) and value.lstrip("-").isdigit() and "gross" in str(key):
                node[key] = str(int(value) + 1)
                return edited
            if isinstance(value, dict | list):
                stack.append(value)
    edited["tampered"] = "1"
    return edited


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
            probe.sendall(b"PING\r\n")
            return probe.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _postgres_answers(name: str) -> bool:
    try:
        with psycopg.connect(database_url(name), connect_timeout=2) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _wait_for(done: Callable[[], bool], *, seconds: float, what: str, fail: bool = True) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.05)
    if fail:
        raise RuntimeError(f"{what} not within {seconds:.0f} s")
    return False


def write_results(rows: dict[str, Defects], *, about: dict, out: Path) -> str:
    total = Defects()
    for row in rows.values():
        total.add(row)
    head = (
        f"# `make reliability`: {about['started']} ({about['plan']}, {about['seconds']} s, commit {about['commit']})"
        f"\n\nDefects: **{total.total}**\n\n"
    )
    notes = "".join(f"- {note}\n" for note in total.notes)
    text = head + verdicts.table_markdown(rows) + ("\n## What was found\n\n" + notes if notes else "")
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.md").write_text(text)
    (out / "latest.json").write_text(verdicts.results_json(rows, **about))
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer faults in the matrix (for CI)")
    parser.add_argument(
        "--with-postgres-restart",
        action="store_true",
        help="restart the machine's PostgreSQL (pg_ctlcluster) mid-run: only when nothing else uses it",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.md and latest.json go")
    options = parser.parse_args(argv)
    started, clock = datetime.now(UTC), time.monotonic()
    run = Reliability(quick=options.quick, out=options.out, postgres_restart=options.with_postgres_restart)

    if not run_to_end(run, say=say):
        return 130
    about = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - clock, 1),
        "commit": git_commit(),
        "plan": "quick" if options.quick else "full",
        "postgres_restart": options.with_postgres_restart,
    }
    print(write_results(run.rows, about=about, out=options.out))
    total = Defects()
    for row in run.rows.values():
        total.add(row)
    return 1 if total.total else 0
