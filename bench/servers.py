"""The processes a run starts (sandbox, app servers, workers), all on 127.0.0.1, and what is read from them.

Each process gets its own session so that stopping it stops its children (gunicorn's workers) too, and only
them. Every wait here is bounded.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432"
READY_SECONDS = 60.0
STOP_SECONDS = 10.0


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(name: str) -> str:
    return f"{POSTGRES}/{name}"


def database_create_if_missing(*, name: str) -> None:
    with psycopg.connect(database_url("postgres"), autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_recreate(*, name: str) -> None:
    """Drop and create one of this benchmark's own PostgreSQL databases."""
    with psycopg.connect(database_url("postgres"), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def redis_flush(*, host: str = "127.0.0.1", port: int = 6379, db: int) -> str:
    """Empty one Redis database (RESP by hand: the project has no Redis client); returns Redis's answer."""
    with socket.create_connection((host, port), timeout=5) as connection:
        index = str(db).encode()
        connection.sendall(b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n*1\r\n$7\r\nFLUSHDB\r\n" % (len(index), index))
        answer = b""
        while answer.count(b"\r\n") < 2:
            chunk = connection.recv(256)
            if not chunk:
                break
            answer += chunk
    return answer.decode(errors="replace").strip()


def manage(*arguments: str, env: Mapping[str, str], timeout: float = 300.0) -> str:
    """Run a management command to completion; its stdout, or RuntimeError with its output."""
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", *arguments],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Service:
    """One long-running process with its log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        finally:
            log.close()

    def wait_ready(self, *, path: str = "/healthz", seconds: float = READY_SECONDS) -> None:
        """Until the server answers 200 on `path`, or RuntimeError (it died, or it took too long)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}{path}", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {path} within {seconds:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        """SIGTERM to the process's own group, then SIGKILL after STOP_SECONDS."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_SECONDS)
        except ProcessLookupError:
            pass

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid


def python_argv(*arguments: str) -> list[str]:
    return [str(ROOT / ".venv" / "bin" / "python"), *arguments]


def gunicorn_app_argv(*, port: int) -> list[str]:
    """The app's gunicorn as the Dockerfile runs it: `gunicorn.conf.py` (threaded workers, WEB_CONCURRENCY of them)."""
    return python_argv(
        "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "selfservice.wsgi"
    )


def gunicorn_argv(*, port: int, workers: int, threads: int = 1, timeout: int = 30) -> list[str]:
    """gunicorn with explicit workers and threads (the sandbox's server)."""
    argv = python_argv("-m", "gunicorn", "selfservice.wsgi", "--bind", f"127.0.0.1:{port}")
    argv += ["--workers", str(workers), "--timeout", str(timeout), "--access-logfile", "-"]
    argv += ["--forwarded-allow-ips", "*"]
    if threads > 1:
        argv += ["--worker-class", "gthread", "--threads", str(threads)]
    return argv


def children_of(pid: int, *, proc: Path = Path("/proc")) -> list[int]:
    """Processes whose parent is `pid` (gunicorn's workers under its master)."""
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if parent_of(stat) == pid:
            found.append(int(entry.name))
    return sorted(found)


def _fields_after_name(stat: str) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses."""
    return stat[stat.rindex(")") + 2 :].split()


def parent_of(stat: str) -> int:
    return int(_fields_after_name(stat)[1])


def cpu_seconds_of(stat: str, *, ticks_per_second: int) -> float:
    """utime + stime (fields 14 and 15 of /proc/<pid>/stat) in seconds."""
    fields = _fields_after_name(stat)
    return (int(fields[11]) + int(fields[12])) / ticks_per_second


def workers_cpu_seconds(master_pid: int, *, proc: Path = Path("/proc")) -> dict[int, float]:
    """CPU seconds used so far by each worker of a gunicorn master."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in children_of(master_pid, proc=proc):
        try:
            used[pid] = cpu_seconds_of((proc / str(pid) / "stat").read_text(), ticks_per_second=ticks)
        except OSError:
            continue
    return used


def cpu_used_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the workers spent between two readings; a worker that appeared in between counts in full."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
