"""The real services under the benches: a throw-away PostgreSQL database on the shared server,
and uvicorn, Celery and fake-LLM processes started (and stopped) by pid. Loopback only.

Also the scale-out topology of bench/chaos.py and tests/e2e/test_scale_out.py: two uvicorn
processes on two ports, two Celery workers, one beat (`start_topology`). What the benches read
about these processes is in harness/procfs.py and bench/_ws_sampling.py; the chaos scenarios'
private Redis and PostgreSQL servers are in harness/servers.py.
"""

import contextlib
import os
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import httpx
import psycopg
from psycopg import sql

from harness.procfs import children, cmdline

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
BROKER_URL = "redis://127.0.0.1:6379/10"  # the bench's own DB: its queues never mix with others
PORTS = range(18400, 18500)
PROJECT_APP = ("interviewsite.asgi:application",)


def free_port(*taken: int) -> int:
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def free_tcp_port() -> int:
    """A free loopback port picked by the kernel."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_nofile(wanted: int) -> int:
    """Raise this process's open-file limit towards `wanted` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- the database ------------------------------------------------------------------------------
def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def recreate_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def offset_interview_ids(name: str) -> int:
    """Start interview ids at a random large number.

    Channel-layer groups are named after interview ids (`interview.<id>`) and every run on this
    Redis shares the channel layer's DB, so ids starting at 1 would meet other runs' groups.
    """
    start = 10**9 + secrets.randbelow(10**12)
    with psycopg.connect(database_url(name), autocommit=True) as conn:
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('interviews_interview', 'id'), %s)", (start,)
        )
    return start


# --- processes ---------------------------------------------------------------------------------
@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.log.name}) ---\n" + "\n".join(text.splitlines()[-lines:])

    def problems(self) -> list[str]:
        """Log lines at ERROR or above, and traceback headers."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        pattern = re.compile(r'"level": "(ERROR|CRITICAL)"|\bERROR\b|Traceback|CRITICAL')
        return [line for line in text.splitlines() if pattern.search(line)]


@dataclass
class Stack:
    env: dict[str, str]
    logs: Path
    nofile: int = 4096
    procs: list[Proc] = field(default_factory=list)
    # A Celery worker's log level and node name ({name}, {pid}: this process's): unique per run,
    # so benches on one broker never answer each other's pings.
    worker_loglevel: ClassVar[str] = "WARNING"
    worker_node: ClassVar[str] = "bench-{name}-{pid}@%h"

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
        log = self.logs / f"{name}.log"
        started = sum(1 for p in self.procs if p.name == name)
        if started:  # a restarted process keeps its predecessor's log
            log = self.logs / f"{name}.{started + 1}.log"
        nofile = self.nofile

        def limits() -> None:  # runs in the child before exec
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(nofile, hard), hard))

        with log.open("wb") as handle:
            popen = subprocess.Popen(
                list(args),
                cwd=ROOT,
                env={**self.env, **(env or {})},
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # Only before any thread exists (ws_load.py); with threads (chaos runs restart
                # processes while candidates run) the children inherit this process's limit.
                preexec_fn=limits if threading.active_count() == 1 else None,
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def manage(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def uvicorn(
        self, port: int, *, workers: int = 1, name: str = "web", app: tuple[str, ...] = PROJECT_APP
    ) -> Proc:
        """uvicorn serving `app` (uvicorn's arguments naming the application: bench/ws_load.py
        serves its own, the project plus the benches' baselines), once it answers HTTP."""
        proc = self.start(name, *uvicorn_command(port, workers, app))
        wait_http(f"http://127.0.0.1:{port}/health/live/", proc)
        return proc

    def uvicorn_server(
        self, port: int, workers: int, name: str = "uvicorn", *, app: tuple[str, ...] = PROJECT_APP
    ) -> "Server":
        """uvicorn, once every one of its worker processes is up (the benches measure them)."""
        server = Server(self.start(name, *uvicorn_command(port, workers, app)), port, workers)
        server.wait_ready()
        return server

    def fake_llm(self, port: int, latency_ms: float) -> Proc:
        proc = self.start(
            "fake_llm",
            str(BIN / "python"),
            "manage.py",
            "fake_llm",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--latency-ms",
            str(latency_ms),
            "--no-access-log",
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"fake_llm exited early\n{proc.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/_control", timeout=2).status_code == 200:
                    return proc
            time.sleep(0.3)
        raise RuntimeError(f"fake_llm did not start\n{proc.tail()}")

    def celery_worker(
        self,
        concurrency: int = 1,
        name: str = "worker",
        env: dict[str, str] | None = None,
        *,
        queues: str = "evaluation,maintenance,sandbox",
        imports: tuple[str, ...] = (),
    ) -> Proc:
        """A worker on `queues` (every queue), also loading the task modules `imports`."""
        return self.start(
            name,
            str(BIN / "celery"),
            "-A",
            "interviewsite",
            "worker",
            "-Q",
            queues,
            *(("-I", ",".join(imports)) if imports else ()),
            "--concurrency",
            str(concurrency),
            "--loglevel",
            self.worker_loglevel,
            "-n",
            self.worker_node.format(name=name, pid=os.getpid()),
            env=env,
        )

    def celery_beat(self) -> Proc:
        """The one scheduler (django-celery-beat's DatabaseScheduler); its pid file in the logs."""
        return self.start(
            "beat",
            str(BIN / "celery"),
            "-A",
            "interviewsite",
            "beat",
            "--loglevel",
            "WARNING",
            "--pidfile",
            str(self.logs / "beat.pid"),
        )

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)


def stop(proc: Proc, timeout: float = 15, sig: int = signal.SIGTERM) -> None:
    """`sig` (SIGTERM) to the process group started here (by its pid), SIGKILL if it lingers.
    Its own session: the signal reaches uvicorn's and Celery's children too."""
    if proc.popen.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.popen.wait(timeout=timeout)


def uvicorn_command(port: int, workers: int, app: tuple[str, ...] = PROJECT_APP) -> list[str]:
    """uvicorn as the Procfile starts it, on loopback; run from the repository root."""
    return [
        str(BIN / "uvicorn"),
        *app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--ws-max-size",
        "65536",
        "--log-level",
        "warning",
    ]


def wait_http(url: str, proc: Proc, timeout: float = 60) -> None:
    """Until `url` answers below 500; fails at once if `proc` exits meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited early\n{proc.tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s\n{proc.tail()}")


@dataclass
class Server:
    proc: Proc
    port: int
    workers: int

    def worker_pids(self) -> list[int]:
        """The processes that serve sockets: uvicorn itself with one worker, else its children."""
        if self.workers == 1:
            return [self.proc.pid]
        return [pid for pid in children(self.proc.pid) if "resource_tracker" not in cmdline(pid)]

    def wait_ready(self, timeout: float = 90) -> None:
        url = f"http://127.0.0.1:{self.port}/health/live/"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.popen.poll() is not None:
                raise RuntimeError(f"uvicorn exited early\n{self.proc.tail()}")
            ok = False
            with contextlib.suppress(httpx.HTTPError):
                ok = httpx.get(url, timeout=2).status_code < 500
            if ok and len(self.worker_pids()) == self.workers:
                time.sleep(2)  # let every worker finish importing the app
                if self.proc.popen.poll() is not None:
                    # Another process took the port between free_port() and the bind, and
                    # what answered was that server, not ours (uvicorn exits on a failed bind).
                    raise RuntimeError(f"uvicorn exited after start-up\n{self.proc.tail()}")
                return
            time.sleep(0.3)
        raise RuntimeError(f"{url} did not answer within {timeout}s\n{self.proc.tail()}")


@contextlib.contextmanager
def services_stack(env: dict[str, str], logs: Path, nofile: int) -> Iterator[Stack]:
    running = Stack(env=env, logs=logs, nofile=nofile)
    try:
        yield running
    except BaseException:
        for proc in running.procs:
            print(proc.tail(), file=sys.stderr)
        raise
    finally:
        running.stop_all()


# --- the scale-out topology: 2 uvicorn processes on 2 ports, 2 Celery workers, 1 beat -----------
@dataclass
class Topology:
    """What `start_topology` started; `web_ports[i]` is served by `webs[i]`."""

    stack: Stack
    webs: list[Server]
    workers: list[Proc]
    beat: Proc | None
    worker_env: dict[str, str] | None = None

    @property
    def web_ports(self) -> list[int]:
        return [web.port for web in self.webs]

    def restart_worker(self, index: int) -> Proc:
        old = self.workers[index]
        stop(old)
        self.workers[index] = self.stack.celery_worker(
            name=old.name, concurrency=1, env=self.worker_env
        )
        return self.workers[index]


def start_topology(
    stack: Stack,
    *,
    webs: int = 2,
    workers: int = 2,
    beat: bool = True,
    worker_env: dict[str, str] | None = None,
) -> Topology:
    """`worker_env`: settings only the Celery workers get on top of the stack's."""
    servers = [stack.uvicorn_server(free_tcp_port(), 1, name=f"web{i + 1}") for i in range(webs)]
    procs = [stack.celery_worker(name=f"worker{i + 1}", env=worker_env) for i in range(workers)]
    beat_proc = stack.celery_beat() if beat else None
    return Topology(stack, servers, procs, beat_proc, worker_env)
