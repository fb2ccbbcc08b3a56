"""Private servers for bench/chaos.py, tests/chaos/ and tests/e2e/test_scale_out.py: a
redis-server and a PostgreSQL cluster of their own, on free loopback ports, that a scenario
stops and starts again (`PrivateRedis`, `PrivatePostgres`).

Scenarios that restart Redis or PostgreSQL never touch the shared servers: each run starts its
own, as child processes it stops by pid (also on failure).
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

from harness.stack import free_tcp_port


def wait_port(port: int, timeout: float, alive: "subprocess.Popen[bytes] | None" = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and alive.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {alive.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _stop_popen(popen: "subprocess.Popen[bytes]", sig: int, timeout: float = 20) -> None:
    if popen.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        popen.send_signal(sig)
    try:
        popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            popen.kill()
        popen.wait(timeout=timeout)


# No persistence (a restart loses everything, as a crashed Redis without AOF does).
REDIS_ARGS = ("--save", "", "--appendonly", "no", "--daemonize", "no", "--maxclients", "2000")


class PrivateRedis:
    """`redis-server` on its own port, no persistence: a restart loses every key, as a crashed
    Redis without AOF does. Stopped and started by its pid."""

    def __init__(self, logs: Path, port: int | None = None) -> None:
        self.port = port or free_tcp_port()
        self.logs = logs
        self.popen: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.starts += 1
        with (self.logs / f"redis-{self.starts}.log").open("wb") as log:
            self.popen = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", *REDIS_ARGS],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_port(self.port, 20, self.popen)

    def stop(self) -> None:
        if self.popen is not None:
            _stop_popen(self.popen, signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: a crash, not a shutdown."""
        if self.popen is not None:
            _stop_popen(self.popen, signal.SIGKILL)


def postgres_bindir() -> Path:
    """The PostgreSQL server binaries: `pg_config --bindir`, else /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            candidates.append(Path(out))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for path in candidates:
        if (path / "initdb").exists() and (path / "postgres").exists():
            return path
    raise RuntimeError("no PostgreSQL server binaries (initdb, postgres) found")


class PrivatePostgres:
    """A throw-away PostgreSQL cluster (initdb in a temporary directory, trust auth) whose
    postmaster runs in the foreground as our child: stopped (fast shutdown, SIGINT) and started
    by pid. As root, initdb and the server run as the `postgres` user, which owns the directory."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.port = port or free_tcp_port()
        self.root = root
        self.data = root / "data"
        self.bindir = postgres_bindir()
        self.popen: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._user: str | None = "postgres" if os.geteuid() == 0 else None

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._user:
            shutil.chown(self.root, self._user, self._user)
        initdb = [str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres"]
        done = subprocess.run(
            [*initdb, "--auth=trust", "-E", "UTF8", "--no-sync"],
            capture_output=True,
            text=True,
            user=self._user,
            cwd=self.root,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stdout[-1000:]}{done.stderr[-2000:]}")

    def start(self) -> None:
        self.starts += 1
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.root),
            "max_connections": "200",
            "shared_buffers": "32MB",
            "fsync": "off",  # a throw-away cluster: durability across OS crashes is not tested
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        args = [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        log = self.root / f"postgres-{self.starts}.log"
        with log.open("wb") as handle:
            if self._user:
                shutil.chown(log, self._user, self._user)
            self.popen = subprocess.Popen(
                args,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=self._user,
                cwd=self.root,
            )
        deadline = time.monotonic() + 60
        while True:
            if self.popen.poll() is not None:
                raise RuntimeError(f"postgres exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                with psycopg.connect(self.admin_url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self, sig: int = signal.SIGINT) -> None:
        """SIGINT: fast shutdown (clients are disconnected, like a restart); SIGQUIT: crash."""
        if self.popen is not None:
            _stop_popen(self.popen, sig, timeout=60)

    def create_database(self, name: str, template: str | None = None) -> None:
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            conn.execute(query)


@contextlib.contextmanager
def private_postgres(root: Path | None = None) -> Iterator[PrivatePostgres]:
    """A throw-away cluster in `root`, or in a new temporary directory (postgres must be able to
    reach it: a directory made by mkdtemp is private to its creator)."""
    root = root or Path(tempfile.mkdtemp(prefix="chaos-pg-"))
    server = PrivatePostgres(root)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def private_redis(logs: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(logs)
    try:
        server.start()
        yield server
    finally:
        server.stop()
