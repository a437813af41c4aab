"""`make bench`: the sandbox, a counting proxy, the app under gunicorn and its worker, measured side by side.

Every figure is a count or a ratio taken in the same run on the same machine, so a busy machine moves both
sides of a ratio together. Targets are printed beside the figures, never asserted: the run fails only when
the harness itself fails or a notification is lost. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
import timeit
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx

from bench import inbox, load
from bench.customers import QUOTE_PATH, Customer, Step, customer_sign_in, first_visit_bytes
from bench.figures import TIMES, Figure, figures_json, percentile, table_markdown
from bench.proxy import VendorCounts, VendorProxy
from bench.servers import (
    ROOT,
    Service,
    cpu_used_between,
    database_create_if_missing,
    database_recreate,
    database_url,
    free_port,
    gunicorn_app_argv,
    gunicorn_argv,
    manage,
    python_argv,
    redis_flush,
    workers_cpu_seconds,
)
from sandbox import pricing

APP_DATABASE = "bench_app"
SANDBOX_DATABASE = "bench_sandbox"
REDIS_DB = 8
SCENARIO = ROOT / "sandbox" / "scenarios" / "demo.json"
RESULTS = ROOT / "bench" / "results"
BASE_ENV_NAMES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")

# The vendor's limit scaled down for the load, the app's budget just below it, and the targets (docs/performance.md).
VENDOR_LIMIT_PER_SECOND = 3
APP_BUDGET_PER_SECOND = 2.0
APP_BUDGET_BURST = 1.0
"""With the vendor's limit scaled to 3/s: at most rate + burst = 3 calls in any second, from both app servers."""
CALLS_PER_CHANGE = 4
CALLS_PER_PAGE = 1
PAGE_OVER_VENDOR_TIME = 1.05
CPU_OVER_HEALTHZ = 2
NOTIFICATIONS_PER_SECOND = 500
FIRST_PAGE_KB = 60
DRAIN_SECONDS = 30


@dataclass(frozen=True)
class Plan:
    """How much of everything one run does; `--quick` is the smaller plan."""

    repeats: int
    polls: int
    cpu_pages: int
    cpu_health: int
    notifications: int
    concurrency: int
    load_seconds: float
    delay: float = 0.3
    web_concurrency: int = 3


FULL = Plan(repeats=3, polls=3, cpu_pages=60, cpu_health=200, notifications=400, concurrency=16, load_seconds=30)
QUICK = Plan(repeats=2, polls=2, cpu_pages=40, cpu_health=100, notifications=200, concurrency=16, load_seconds=10)


def run_to_end(harness: Bench, *, say: Callable[[str], None]) -> bool:
    """Run the harness and stop everything it started, whatever happens; False when interrupted (Ctrl-C, SIGTERM)."""

    def stop_on_term(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_term)
    try:
        harness.run()
    except KeyboardInterrupt:
        say("interrupted; stopping everything")
        return False
    except Exception as exc:
        say(f"the harness failed: {exc!r}; logs in {harness.logs}")
        raise
    finally:
        harness.stop_all()
    return True


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def base_env() -> dict[str, str]:
    """Only what a process needs from the shell: settings come from the harness alone."""
    return {name: os.environ[name] for name in BASE_ENV_NAMES if name in os.environ}


class Bench:
    """One run: the processes it started (to stop them all, whatever happens) and the figures it took.

    The databases, the Redis database, the scenario and the commands of the app and its worker are attributes and
    methods, so that another harness (`reliability/`) starts the same processes its own way.
    """

    app_database = APP_DATABASE
    sandbox_database = SANDBOX_DATABASE
    redis_port = 6379
    redis_db = REDIS_DB
    scenario_path = SCENARIO

    def __init__(self, plan: Plan, logs: Path, static: Path) -> None:
        self.plan = plan
        self.logs = logs
        self.static = static
        self.secret_key = secrets.token_urlsafe(48)
        self.notification_secret = secrets.token_urlsafe(36)
        self.app_port = free_port()
        self.services: dict[str, Service] = {}
        self.proxy: VendorProxy | None = None
        self.portal_key = ""
        self.customers: dict[int, Customer] = {}
        self.client = httpx.Client(timeout=httpx.Timeout(45.0, connect=5.0))
        self.figures: list[Figure] = []
        self.about: dict[str, object] = {}
        self.lost_notifications = 0
        self.scenario = json.loads(self.scenario_path.read_text())
        logs.mkdir(parents=True, exist_ok=True)
        for old in logs.glob("*.log"):
            old.unlink()

    # --- environments -------------------------------------------------------------------------------------------

    def sandbox_env(self, *, port: int, limit: int) -> dict[str, str]:
        return {
            **base_env(),
            "DEBUG": "true",
            "SANDBOX_ENABLED": "true",
            "PORT": str(port),
            "DATABASE_URL": database_url(self.sandbox_database),
            "SANDBOX_RATE_LIMIT_PER_SECOND": str(limit),
            "SANDBOX_NOTIFICATION_URL": f"http://127.0.0.1:{self.app_port}/cleverbridge/notifications/"
            f"{self.notification_secret}/",
            "LOG_LEVEL": "WARNING",
        }

    def app_env(self, *, port: int, budget: float | None = None) -> dict[str, str]:
        env = {
            **base_env(),
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "BENCH_STATIC_ROOT": str(self.static),
            "DEBUG": "false",
            "SANDBOX_ENABLED": "false",
            "PORT": str(port),
            "SECRET_KEY": self.secret_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{self.app_port}",
            "DATABASE_URL": database_url(self.app_database),
            "CACHE_URL": f"redis://127.0.0.1:{self.redis_port}/{self.redis_db}",
            "CLEVERBRIDGE_API_URL": f"{self.proxy.url}/sandbox/api" if self.proxy else "",
            "CLEVERBRIDGE_API_USER": "sandbox",
            "CLEVERBRIDGE_API_PASSWORD": "sandbox",
            "CLEVERBRIDGE_NOTIFICATION_SECRET": self.notification_secret,
            "PORTAL_RETURN_HOSTS": "example.com",
            # One key and one address sign every simulated customer in, and one address sends every notification:
            # the per-key, per-address limits a real deployment keeps would stop the harness, not measure the app.
            "PORTAL_SESSIONS_PER_KEY": "100000",
            "PORTAL_SESSIONS_PER_IP": "100000",
            "NOTIFICATION_RATE_PER_MINUTE": "1000000",
            "WEB_CONCURRENCY": str(self.plan.web_concurrency),
            "LOG_LEVEL": "WARNING",
        }
        if budget is not None:
            env["CLEVERBRIDGE_RATE_PER_SECOND"] = str(budget)
            env["CLEVERBRIDGE_RATE_BURST"] = str(APP_BUDGET_BURST)
        env["CLEVERBRIDGE_ACCEPT_TEST_PURCHASES"] = "true"
        return env

    # --- processes ----------------------------------------------------------------------------------------------

    def service_start(self, service: Service, *, ready_path: str | None = "/healthz") -> Service:
        """Start a service and, unless `ready_path` is None, wait until it answers there."""
        self.services[service.name] = service
        service.start()
        if ready_path is not None:
            service.wait_ready(path=ready_path)
        return service

    def service_stop(self, name: str) -> None:
        service = self.services.pop(name, None)
        if service is not None:
            service.stop()

    def sandbox_start(self, *, limit: int, wait: bool = True) -> Service:
        port = free_port()
        env = self.sandbox_env(port=port, limit=limit)
        # One process, several threads: the sandbox's rate limit lives in its process's memory and must be exact.
        argv = gunicorn_argv(port=port, workers=1, threads=8)
        service = Service("sandbox", argv, env, self.logs / f"sandbox-limit{limit}.log", port=port)
        self.service_start(service, ready_path="/healthz" if wait else None)
        if self.proxy is not None:
            self.proxy.upstream = f"http://127.0.0.1:{port}"
        return service

    def app_argv(self, *, port: int) -> list[str]:
        return gunicorn_app_argv(port=port)

    def app_worker_argv(self) -> list[str]:
        return python_argv("manage.py", "work", "--interval", "0.5", "--no-startup-delay", "--sweep-every", "10")

    def app_start(self, name: str, *, port: int, budget: float | None = None, wait: bool = True) -> Service:
        argv = self.app_argv(port=port)
        env = self.app_env(port=port, budget=budget)
        service = Service(name, argv, env, self.logs / f"{name}.log", port=port)
        return self.service_start(service, ready_path="/healthz" if wait else None)

    def stop_all(self) -> None:
        for name in reversed(list(self.services)):
            self.service_stop(name)
        if self.proxy is not None:
            self.proxy.stop()
        self.client.close()

    # --- setup --------------------------------------------------------------------------------------------------

    def commands_run(self, steps: list[tuple[str, list[str], dict[str, str]]]) -> list[str]:
        """Run commands side by side to completion; the names of those that failed (their logs say why)."""
        running = []
        try:
            for name, argv, env in steps:
                with (self.logs / f"{name}.log").open("wb") as log:
                    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
                running.append((name, process))
            return [name for name, process in running if process.wait(timeout=300) != 0]
        finally:
            for _, process in running:
                if process.poll() is None:
                    process.kill()
                    process.wait()

    def databases_prepare(self, *, app_env: dict[str, str], sandbox_env: dict[str, str]) -> None:
        """Both databases migrated and emptied: kept between runs (migrating is then quick), made afresh when needed."""
        for name in (self.app_database, self.sandbox_database):
            database_create_if_missing(name=name)
        migrate = python_argv("manage.py", "migrate", "--noinput")
        migrations = {
            "migrate-app": (self.app_database, migrate, app_env),
            "migrate-sandbox": (self.sandbox_database, migrate, sandbox_env),
        }
        collect = ("collectstatic", python_argv("manage.py", "collectstatic", "--noinput"), app_env)
        failed = self.commands_run([(name, argv, env) for name, (_, argv, env) in migrations.items()] + [collect])
        if "collectstatic" in failed:
            raise RuntimeError(f"collectstatic failed; see {self.logs / 'collectstatic.log'}")
        for name in failed:
            database, _, _ = migrations[name]
            say(f"{database}'s migrations do not apply to what it holds; creating it afresh")
            database_recreate(name=database)
        if failed and self.commands_run([(name, *migrations[name][1:]) for name in failed]):
            raise RuntimeError(f"migrating failed; see {self.logs}")
        flush = python_argv("manage.py", "flush", "--noinput")
        if failed := self.commands_run([("flush-app", flush, app_env), ("flush-sandbox", flush, sandbox_env)]):
            raise RuntimeError(f"{', '.join(failed)} failed; see {self.logs}")

    def setup(self) -> None:
        say(
            f"preparing {self.app_database} and {self.sandbox_database} (migrated, then emptied), static files and "
            f"Redis DB {self.redis_db}"
        )
        self.about["redis"] = redis_flush(port=self.redis_port, db=self.redis_db)
        self.proxy = VendorProxy(upstream="http://127.0.0.1:9", delay=0.0)
        self.proxy.start()
        app_env = self.app_env(port=self.app_port)
        sandbox_env = self.sandbox_env(port=0, limit=0)
        self.databases_prepare(app_env=app_env, sandbox_env=sandbox_env)
        manage("sandbox_load", str(self.scenario_path), "--reset", env=sandbox_env)
        manage("loaddata", "demo_catalog", env=app_env)
        self.portal_key = manage("create_portal_key", "Benchmark", env=app_env).strip()

        say("starting the sandbox, its worker, the app and its worker")
        self.sandbox_start(limit=0)
        self.service_start(
            Service(
                "sandbox-worker",
                python_argv("manage.py", "db_worker", "--interval", "0.5", "--no-startup-delay", "--no-reload"),
                self.sandbox_env(port=self.services["sandbox"].port or 0, limit=0),
                self.logs / "sandbox-worker.log",
            ),
            ready_path=None,
        )
        self.app_start("app", port=self.app_port)
        self.service_start(
            Service(
                "app-worker",
                self.app_worker_argv(),
                self.app_env(port=self.app_port),
                self.logs / "app-worker.log",
            ),
            ready_path=None,
        )
        for customer in self.scenario["customers"]:
            self.customers[customer["id"]] = customer_sign_in(
                app_url=self.services["app"].url, key=self.portal_key, customer_id=customer["id"], client=self.client
            )
        say(f"signed in {len(self.customers)} customers through portal sessions")

    def subscriptions_of(self, customer_id: int) -> list[int]:
        return [item["id"] for item in self.scenario["subscriptions"] if item["customer_id"] == customer_id]

    # --- (a) and (b): vendor calls per action and page time at 300 ms ------------------------------------------

    def measured(self, customer: Customer, action: str, method: str, path: str, **kwargs) -> tuple[Step, VendorCounts]:
        assert self.proxy is not None
        self.proxy.reset()
        step = customer.send(action, method, path, **kwargs)
        counts = self.proxy.counts()
        if step.status >= 400:
            raise RuntimeError(f"{action}: {method} {path} answered {step.status}: {step.text[:500]}")
        return step, counts

    def change_journey(
        self, customer: Customer, subscription_id: int, *, htmx: bool
    ) -> list[tuple[Step, VendorCounts]]:
        """From opening the subscription page to the receipt, as a browser with (or without) JavaScript does."""
        taken = [self.measured(customer, "subscription page", "GET", f"/subscriptions/{subscription_id}/")]
        change = {"kind": "increase", "running_no": "1", "quantity": "1"}
        if htmx:
            taken.append(
                self.measured(
                    customer,
                    "preview fragment (htmx)",
                    "POST",
                    f"/subscriptions/{subscription_id}/changes/",
                    data=change,
                    htmx=True,
                )
            )
            quote_id = _quote_id(taken[-1][0].text)
            taken.append(
                self.measured(
                    customer,
                    "confirm fragment (htmx)",
                    "POST",
                    f"/changes/{quote_id}/commit/",
                    data={"consent": "yes"},
                    htmx=True,
                )
            )
            if f'id="receipt-{quote_id}"' not in taken[-1][0].text:
                raise RuntimeError(f"the htmx confirm did not answer the receipt: {taken[-1][0].text[:500]}")
        else:
            taken.append(
                self.measured(customer, "preview", "POST", f"/subscriptions/{subscription_id}/changes/", data=change)
            )
            quote_id = _quote_id(taken[-1][0].location)
            taken.append(self.measured(customer, "quote page", "GET", f"/changes/{quote_id}/"))
            taken.append(
                self.measured(customer, "confirm", "POST", f"/changes/{quote_id}/commit/", data={"consent": "yes"})
            )
            if not taken[-1][0].location.endswith(f"/changes/{quote_id}/receipt/"):
                raise RuntimeError(f"the confirm led to {taken[-1][0].location!r}, not the receipt")
            taken.append(self.measured(customer, "receipt page", "GET", f"/changes/{quote_id}/receipt/"))
        for _ in range(self.plan.polls):
            taken.append(
                self.measured(customer, "receipt poll (htmx)", "GET", f"/changes/{quote_id}/receipt/", htmx=True)
            )
        return taken

    def phase_calls_and_page_time(self) -> None:
        assert self.proxy is not None
        self.proxy.delay = self.plan.delay
        anna = self.customers[self.scenario["customers"][0]["id"]]
        subscription_id = self.subscriptions_of(self.scenario["customers"][0]["id"])[0]
        say(f"(a, b) {self.plan.repeats} changes with and without htmx at {self.plan.delay * 1000:.0f} ms vendor delay")
        steps: dict[str, list[tuple[Step, VendorCounts]]] = defaultdict(list)
        per_change: dict[bool, list[int]] = {False: [], True: []}
        for _ in range(self.plan.repeats):
            steps["subscription list"].append(self.measured(anna, "subscription list", "GET", "/"))
            for htmx in (False, True):
                journey = self.change_journey(anna, subscription_id, htmx=htmx)
                per_change[htmx].append(sum(counts.calls for _, counts in journey))
                for step, counts in journey:
                    steps[step.action].append((step, counts))
        section = "(a) Vendor calls, counted at the proxy"
        for htmx, name in ((False, "without JavaScript"), (True, "with htmx")):
            self.figures.append(
                Figure(
                    section,
                    f"per complete change, {name} (subscription page to receipt)",
                    statistics.mean(per_change[htmx]),
                    "calls",
                    "at most",
                    CALLS_PER_CHANGE,
                    note=f"mean of {len(per_change[htmx])}, {self.plan.polls} polls each",
                )
            )
        fragments = {"receipt poll (htmx)"}
        for action, taken in steps.items():
            mean_calls = statistics.mean(counts.calls for _, counts in taken)
            methods = _methods(counts for _, counts in taken)
            target = 0 if action in fragments else CALLS_PER_PAGE
            self.figures.append(Figure(section, action, mean_calls, "calls", "at most", target, note=methods))
        section = f"(b) Page time ÷ (vendor calls {TIMES} {self.plan.delay * 1000:.0f} ms)"
        for action in ("subscription page", "preview", "confirm"):
            ratios, at_proxy = [], []
            for step, counts in steps[action]:
                if counts.calls:
                    ratios.append(step.seconds / (counts.calls * self.plan.delay))
                    at_proxy.append(step.seconds / counts.busy_seconds)
            median_seconds = statistics.median(step.seconds for step, _ in steps[action])
            note = f"median page {median_seconds * 1000:.0f} ms"
            if at_proxy:
                note += f"; ÷ time waited at the proxy: {statistics.median(at_proxy):.2f}"
            value = statistics.median(ratios) if ratios else None
            self.figures.append(Figure(section, action, value, TIMES, "at most", PAGE_OVER_VENDOR_TIME, note=note))
        self.about["calls"] = {action: [counts.by_method for _, counts in taken] for action, taken in steps.items()}

    # --- (b): CPU per request against /healthz ------------------------------------------------------------------

    def cpu_per_request(self, request: Callable[[], httpx.Response], count: int) -> float:
        master = self.services["app"].pid
        for _ in range(5):
            request()
        before = workers_cpu_seconds(master)
        for _ in range(count):
            answer = request()
            if answer.status_code != 200:
                raise RuntimeError(f"CPU measurement: HTTP {answer.status_code}")
        after = workers_cpu_seconds(master)
        if set(before) != set(after):
            say("warning: gunicorn workers changed during a CPU measurement")
        return cpu_used_between(before, after) / count

    def phase_cpu(self) -> None:
        assert self.proxy is not None
        self.proxy.delay = 0.0
        anna = self.customers[self.scenario["customers"][0]["id"]]
        subscription_id = self.subscriptions_of(self.scenario["customers"][0]["id"])[0]
        app_url = self.services["app"].url
        say(f"(b) app CPU: {self.plan.cpu_pages} subscription pages and {self.plan.cpu_health} /healthz, no delay")

        def page() -> httpx.Response:
            return self.client.get(f"{app_url}/subscriptions/{subscription_id}/", headers=anna.headers())

        def health() -> httpx.Response:
            return self.client.get(f"{app_url}/healthz")

        page_cpu = self.cpu_per_request(page, self.plan.cpu_pages)
        health_cpu = self.cpu_per_request(health, self.plan.cpu_health)
        section = "(b) App CPU per request ÷ /healthz's"
        note = f"{page_cpu * 1000:.1f} ms against {health_cpu * 1000:.2f} ms"
        ratio = page_cpu / health_cpu if health_cpu else None
        self.figures.append(Figure(section, "subscription page", ratio, TIMES, "at most", CPU_OVER_HEALTHZ, note=note))

    # --- (d): notifications -------------------------------------------------------------------------------------

    def phase_notifications(self) -> None:
        assert self.proxy is not None
        count = self.plan.notifications
        say(f"(d) {count} PaidOrderNotifications, {self.plan.concurrency} at a time")
        first = 900_000_000 + secrets.randbelow(10_000) * 100_000
        purchase_ids = list(range(first, first + count))
        url = f"{self.services['app'].url}/cleverbridge/notifications/{self.notification_secret}/"
        self.proxy.reset()
        burst = inbox.burst_send(url=url, purchase_ids=purchase_ids, concurrency=self.plan.concurrency)
        stored = inbox.stored_count(database_url=database_url(self.app_database), purchase_ids=purchase_ids)
        self.lost_notifications = count - stored
        drained_after = _wait_until(
            lambda: inbox.waiting_count(database_url=database_url(self.app_database), purchase_ids=purchase_ids) == 0,
            seconds=DRAIN_SECONDS,
        )
        section = "(d) Notifications"
        calls = self.proxy.counts().calls
        if drained_after is None:
            left = inbox.waiting_count(database_url=database_url(self.app_database), purchase_ids=purchase_ids)
            note = f"{left} of {count} still waiting {DRAIN_SECONDS} s after the burst; vendor calls {calls}"
            worked = Figure(section, "worked by the worker per second", None, "/s", note=note)
        else:
            note = f"all {count} worked {drained_after:.1f} s after the burst ended; vendor calls {calls}"
            per_second = count / (burst.seconds + drained_after)
            worked = Figure(section, "worked by the worker per second", per_second, "/s", note=note)
        self.figures += [
            Figure(
                section,
                "accepted per second",
                burst.per_second,
                "/s",
                "at least",
                NOTIFICATIONS_PER_SECOND,
                note=f"{burst.accepted} of {burst.sent} in {burst.seconds:.1f} s; answers {burst.statuses}",
            ),
            Figure(section, "lost (sent, not stored)", self.lost_notifications, "", "at most", 0),
            worked,
        ]

    # --- (c): three times the vendor's limit across two app servers ---------------------------------------------

    def phase_load(self) -> None:
        assert self.proxy is not None
        rate = 3 * VENDOR_LIMIT_PER_SECOND
        say(
            f"(c) restarting the sandbox at {VENDOR_LIMIT_PER_SECOND}/s and two app servers with a budget of "
            f"{APP_BUDGET_PER_SECOND}/s"
        )
        self.service_stop("sandbox")
        self.service_stop("app")
        started = [
            self.sandbox_start(limit=VENDOR_LIMIT_PER_SECOND, wait=False),
            self.app_start("app", port=self.app_port, budget=APP_BUDGET_PER_SECOND, wait=False),
            self.app_start("app-2", port=free_port(), budget=APP_BUDGET_PER_SECOND, wait=False),
        ]
        for service in started:
            service.wait_ready()
        second = started[-1]
        pages = []
        for customer_id, customer in self.customers.items():
            session = {"sessionid": customer.cookies["sessionid"]}
            pages.append(("/", session))
            pages += [(f"/subscriptions/{sid}/", session) for sid in self.subscriptions_of(customer_id)]
        visits = load.schedule(
            rate=rate, seconds=self.plan.load_seconds, servers=[self.services["app"].url, second.url], pages=pages
        )
        self.proxy.delay = self.plan.delay
        self.proxy.reset()
        say(f"(c) offering {len(visits)} page views at {rate}/s for {self.plan.load_seconds:.0f} s")
        outcomes = load.offer(visits, timeout=40.0)
        counts = self.proxy.counts()
        kinds = defaultdict(int)
        for outcome in outcomes:
            kinds[outcome.kind] += 1
        seconds = [outcome.seconds for outcome in outcomes]
        section = (
            f"(c) {rate} page views/s offered ({len(visits)} in {self.plan.load_seconds:.0f} s) on two app "
            f"servers, vendor limit {VENDOR_LIMIT_PER_SECOND}/s, delay {self.plan.delay * 1000:.0f} ms"
        )
        self.figures += [
            Figure(
                section,
                "most vendor calls in any second",
                counts.busiest_second,
                "calls",
                "at most",
                VENDOR_LIMIT_PER_SECOND,
                note=f"{counts.calls} calls in all",
            ),
            Figure(section, "429 answers from the vendor", counts.too_many_requests),
            Figure(section, "lockouts (the vendor's blocks)", counts.lockouts, "", "at most", 0),
            Figure(section, "pages served fresh", kinds["fresh"]),
            Figure(section, 'pages served stale (data-stale="true")', kinds["stale"]),
            Figure(section, "pages failed (not 200, or the 503 page)", kinds["failed"], "", "at most", 0),
            Figure(section, "page time p50", percentile(seconds, 0.5), "s"),
            Figure(
                section,
                "page time p99",
                percentile(seconds, 0.99),
                "s",
                note=f"schedule kept within {max((o.late for o in outcomes), default=0) * 1000:.0f} ms",
            ),
        ]
        self.about["load_statuses"] = _tally(outcome.status for outcome in outcomes)
        self.about["load_calls_by_second"] = {str(k): v for k, v in sorted(counts.by_second.items())}

    # --- (e) and the arithmetic ---------------------------------------------------------------------------------

    def phase_first_page(self) -> None:
        say("(e) bytes of the first page")
        app_url = self.services["app"].url
        anna = self.customers[self.scenario["customers"][0]["id"]]
        section = "(e) First page transferred (page + its stylesheets and scripts, empty cache)"
        for title, path, cookies in (("sign-in page", "/sign-in/", {}), ("subscription list", "/", anna.cookies)):
            for gzip in (True, False):
                transfer = first_visit_bytes(
                    client=self.client, base_url=app_url, path=path, cookies=cookies, gzip=gzip
                )
                name = f"{title}, {'gzip' if gzip else 'no compression'}"
                note = f"page {transfer.page / 1024:.1f} KB + assets {transfer.assets / 1024:.1f} KB"
                self.figures.append(
                    Figure(section, name, transfer.total / 1024, "KB", "at most", FIRST_PAGE_KB, note=note)
                )

    def phase_arithmetic(self) -> None:
        tiers = [
            pricing.Tier(first_seat=1, unit_gross=Decimal("1200.00")),
            pricing.Tier(first_seat=2, unit_gross=Decimal("600.00")),
        ]

        def charge() -> Decimal:
            fraction = pricing.remaining_fraction(
                now=datetime(2026, 6, 18, 10, 28, 42, 344357, tzinfo=UTC),
                period_start=datetime(2026, 5, 13, 10, 28, 42, 344357, tzinfo=UTC),
                period_end=datetime(2027, 5, 13, 10, 28, 42, 344357, tzinfo=UTC),
            )
            before, after = pricing.recurring_gross(tiers, 1), pricing.recurring_gross(tiers, 2)
            return pricing.coterm_charge(before=before, after=after, fraction=fraction, currency="USD")

        if charge() != Decimal("540.82"):
            raise RuntimeError("the pro-rating arithmetic no longer gives the guide's 540.82")
        rounds = 2000
        best = min(timeit.repeat(charge, number=rounds, repeat=5)) / rounds
        self.figures.append(
            Figure(
                "Arithmetic",
                "pro-rated co-term charge (the guide's 540.82)",
                best * 1e6,
                "µs",
                note=f"best of 5 {TIMES} 2,000, in the harness's process",
            )
        )

    def run(self) -> None:
        self.setup()
        self.phase_first_page()
        self.phase_calls_and_page_time()
        self.phase_cpu()
        self.phase_notifications()
        self.phase_load()
        self.phase_arithmetic()


def _quote_id(text: str) -> str:
    found = QUOTE_PATH.search(text)
    if found is None:
        raise RuntimeError(f"no quote in the answer: {text[:300]}")
    return found.group(1)


def _methods(all_counts) -> str:
    total: dict[str, int] = defaultdict(int)
    runs = 0
    for counts in all_counts:
        runs += 1
        for method, calls in counts.by_method.items():
            total[method] += calls
    return ", ".join(f"{method} {calls / runs:g}" for method, calls in sorted(total.items())) or "no call"


def _tally(values) -> dict[str, int]:
    found: dict[str, int] = defaultdict(int)
    for value in values:
        found[str(value)] += 1
    return dict(found)


def _wait_until(done: Callable[[], bool], *, seconds: float) -> float | None:
    """Seconds until `done()` held, polling a few times a second; None if it did not within `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if done():
            return time.monotonic() - started
        time.sleep(0.25)
    return None


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_results(bench: Bench, *, plan_name: str, started: datetime, seconds: float, out: Path) -> str:
    about = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "commit": git_commit(),
        "plan": plan_name,
        "cores": os.cpu_count(),
        "load_average_at_start": bench.about.get("load_average"),
        **{key: value for key, value in bench.about.items() if key != "load_average"},
    }
    head = (
        f"# `make bench`: {about['started']} ({plan_name}, {about['seconds']} s, commit {about['commit']}, "
        f"{about['cores']} cores, load average at start {about['load_average_at_start']})\n\n"
    )
    table = table_markdown(bench.figures)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.md").write_text(head + table)
    (out / "latest.json").write_text(figures_json(bench.figures, **about))
    return head + table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (10 s of load, fewer requests)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.md and latest.json go")
    options = parser.parse_args(argv)
    plan = QUICK if options.quick else FULL
    started, clock = datetime.now(UTC), time.monotonic()
    bench = Bench(plan, logs=options.out / "logs", static=options.out / "static")
    bench.about["load_average"] = " ".join(f"{value:.2f}" for value in os.getloadavg())

    if not run_to_end(bench, say=say):
        return 130
    print(
        write_results(
            bench,
            plan_name="quick" if options.quick else "full",
            started=started,
            seconds=time.monotonic() - clock,
            out=options.out,
        )
    )
    if bench.lost_notifications:
        say(f"{bench.lost_notifications} notification(s) lost")
        return 1
    return 0
