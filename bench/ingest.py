"""How fast the notification endpoint takes a burst, and proof that it loses none.

Starts the app under gunicorn with production settings (DEBUG off, PostgreSQL, the shared cache in Redis when
one answers) on 127.0.0.1 and a free port, POSTs N distinct PaidOrderNotifications from concurrent client
threads (httpx, keep-alive), prints accepted/s and the p50/p99 answer times, and counts the stored rows: every
purchase must be stored exactly once. The database `ingest_bench` is dropped, created and migrated by the script.

    .venv/bin/python -m bench.ingest [--count 2000] [--threads 16]
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

from bench.inbox import paid_order

ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
GUNICORN = PYTHON.parent / "gunicorn"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/ingest_bench"
DEFAULT_CACHE = "redis://127.0.0.1:6379/14"
FIRST_PURCHASE = 700_000_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def server_environment(database: str, cache: str | None, secret: str) -> dict[str, str]:
    environment = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database,
        "CLEVERBRIDGE_NOTIFICATION_SECRET": secret,
        "SANDBOX_ENABLED": "false",
        # The limit is per client address, and every request here comes from one: keep it, but out of the way.
        "NOTIFICATION_RATE_PER_MINUTE": "1000000",
    }
    if cache:
        environment["CACHE_URL"] = cache
    return environment


def wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}); see {log}")
        try:
            if httpx.get(f"{base}/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within a minute; see {log}")


def send(url: str, purchases: list[int], threads: int) -> tuple[list[float], dict[int, int], float]:
    """POST one notification per purchase from `threads` keep-alive clients; latencies, answers by status, seconds."""
    latencies: list[float] = []
    answers: dict[int, int] = {}
    lock = threading.Lock()
    work = iter(purchases)
    headers = {"Content-Type": "application/json", "X-Forwarded-Proto": "https"}

    def client() -> None:
        with httpx.Client(timeout=30, headers=headers) as http:
            while True:
                with lock:
                    purchase = next(work, None)
                if purchase is None:
                    return
                started = time.perf_counter()
                try:
                    status = http.post(url, content=paid_order(purchase_id=purchase)).status_code
                except httpx.HTTPError:
                    status = 0
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    answers[status] = answers.get(status, 0) + 1

    pool = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies, answers, time.perf_counter() - started


def stored(database: str, purchases: list[int]) -> tuple[int, int, int]:
    """Rows stored for these purchases: all of them, distinct purchases, and purchases stored more than once."""
    with psycopg.connect(database) as connection:
        rows, distinct = connection.execute(
            "SELECT count(*), count(DISTINCT purchase_id) FROM subscriptions_inboundnotification "
            "WHERE purchase_id BETWEEN %s AND %s",
            (purchases[0], purchases[-1]),
        ).fetchone()
        twice = connection.execute(
            "SELECT count(*) FROM (SELECT purchase_id FROM subscriptions_inboundnotification "
            "WHERE purchase_id BETWEEN %s AND %s GROUP BY purchase_id HAVING count(*) > 1) AS repeated",
            (purchases[0], purchases[-1]),
        ).fetchone()[0]
    return rows, distinct, twice


def server_cpu_seconds(master: int) -> float:
    """CPU time used so far by gunicorn's master and its workers (from /proc, Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid, parent = int(stat.parent.name), int(fields[1])
        if master in (pid, parent):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="notifications to send (default 2000)")
    parser.add_argument("--threads", type=int, default=16, help="concurrent client threads (default 16)")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--cache", default=os.environ.get("BENCH_CACHE_URL", DEFAULT_CACHE))
    args = parser.parse_args()

    fresh_database(args.database)
    cache = args.cache if args.cache.startswith("redis") and redis_answers(args.cache) else None
    secret = secrets.token_urlsafe(48)
    environment = server_environment(args.database, cache, secret)
    subprocess.run([str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=environment, check=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp(prefix="bench-ingest-")) / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "selfservice.wsgi"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_up(base, server, log)
            purchases = list(range(FIRST_PURCHASE, FIRST_PURCHASE + args.count))
            server_before, client_before = server_cpu_seconds(server.pid), time.process_time()
            latencies, answers, seconds = send(f"{base}/cleverbridge/notifications/{secret}/", purchases, args.threads)
            server_cpu = server_cpu_seconds(server.pid) - server_before
            client_cpu = time.process_time() - client_before
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    rows, distinct, twice = stored(args.database, purchases)
    accepted = answers.get(200, 0)
    print(
        f"gunicorn: {environment.get('WEB_CONCURRENCY', '3')} workers x {environment.get('GUNICORN_THREADS', '4')} "
        f"threads; cache: {cache or 'local memory'}; log: {log}"
    )
    print(f"sent {args.count} from {args.threads} threads in {seconds:.2f} s; answers {dict(sorted(answers.items()))}")
    print(f"accepted/s: {accepted / seconds:.0f}")
    print(f"p50: {statistics.median(latencies) * 1000:.1f} ms  p99: {percentile(latencies, 0.99) * 1000:.1f} ms")
    web, client = server_cpu / args.count * 1000, client_cpu / args.count * 1000
    load = os.getloadavg()[0]
    print(f"CPU per delivery: web {web:.2f} ms, client {client:.2f} ms (load {load:.1f} on {os.cpu_count()} CPUs)")
    print(f"stored: {rows} rows for {distinct} distinct purchases; stored more than once: {twice}")
    complete = accepted == args.count and rows == distinct == args.count and twice == 0
    print("every notification stored exactly once" if complete else "LOST OR REPEATED NOTIFICATIONS")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
