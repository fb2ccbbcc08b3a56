"""The real services under bench/ws_load.py: a throw-away PostgreSQL database, uvicorn and Celery
processes started (and stopped) by pid, and what the bench reads about them from /proc, Redis and
pg_stat_activity. Linux only (it reads /proc); loopback only.

For bench/chaos.py, tests/chaos/ and tests/e2e/test_scale_out.py also: private servers (a
redis-server and a PostgreSQL cluster of their own, restartable) and the scale-out topology
(two uvicorn processes on two ports, two Celery workers, one beat: `start_topology`).
"""

import contextlib
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
BROKER_URL = "redis://127.0.0.1:6379/10"  # the bench's own DB: its queues never mix with others
PORTS = range(18400, 18500)
CLK_TCK = os.sysconf("SC_CLK_TCK")


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

    def uvicorn(self, port: int, workers: int, name: str = "uvicorn") -> "Server":
        proc = self.start(
            name,
            str(BIN / "uvicorn"),
            "interviewsite.asgi:application",
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
        )
        server = Server(proc, port, workers)
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
        self, concurrency: int = 1, name: str = "celery", env: dict[str, str] | None = None
    ) -> Proc:
        return self.start(
            name,
            str(BIN / "celery"),
            "-A",
            "interviewsite",
            "worker",
            "-Q",
            "evaluation,maintenance",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "-n",
            f"bench-{name}-{os.getpid()}@%h",
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


def stop(proc: Proc, timeout: float = 15) -> None:
    """SIGTERM the process group this bench started (by its pid), SIGKILL if it lingers."""
    if proc.popen.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.popen.wait(timeout=timeout)


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
                return
            time.sleep(0.3)
        raise RuntimeError(f"{url} did not answer within {timeout}s\n{self.proc.tail()}")


# --- /proc ---------------------------------------------------------------------------------------
def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
    return found


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def rss_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    return 0.0


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each thread of `pid`."""
    out: dict[int, float] = {}
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
                fields = stat.rsplit(")", 1)[1].split()
                out[int(tid)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, all cores, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(fields[:8])
    idle = fields[3] + fields[4]
    return (total - idle) / CLK_TCK, total / CLK_TCK


def load1() -> float:
    return os.getloadavg()[0]


def _tcp_table() -> dict[int, tuple[int, int, str]]:
    """socket inode → (local port, remote port, state) for every TCP socket on the host."""
    table: dict[int, tuple[int, int, str]] = {}
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(name).read_text().splitlines()[1:]:
                cols = line.split()
                local, remote, state, inode = cols[1], cols[2], cols[3], int(cols[9])
                table[inode] = (
                    int(local.rsplit(":", 1)[1], 16),
                    int(remote.rsplit(":", 1)[1], 16),
                    state,
                )
    return table


def _socket_inodes(pid: int) -> list[int]:
    inodes = []
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.append(int(target[8:-1]))
    return inodes


def sockets_by_pid(
    pids: list[int], local_port: int, remote_ports: tuple[int, ...]
) -> dict[str, list[int]]:
    """Per pid: established sockets accepted on `local_port` and those to each remote port."""
    table = _tcp_table()
    out: dict[str, list[int]] = {key: [] for key in ("clients", *map(str, remote_ports))}
    for pid in pids:
        counts = dict.fromkeys(out, 0)
        for inode in _socket_inodes(pid):
            entry = table.get(inode)
            if entry is None or entry[2] != "01":
                continue
            if entry[0] == local_port:
                counts["clients"] += 1
            elif str(entry[1]) in counts:
                counts[str(entry[1])] += 1
        for key, value in counts.items():
            out[key].append(value)
    return out


# --- Redis and PostgreSQL figures ----------------------------------------------------------------
class Probe:
    """Connections the bench itself holds to read figures; each counts once in every figure."""

    def __init__(self, db_name: str) -> None:
        self.db_name = db_name
        self.redis = redis.Redis.from_url(BROKER_URL, socket_timeout=5)
        self.pg = psycopg.connect(PG_ADMIN_URL, autocommit=True)

    def redis_clients(self) -> int:
        return int(self._info("clients")["connected_clients"])

    def redis_pid(self) -> int:
        return int(self._info("server")["process_id"])

    def queue_depth(self, queue: str = "evaluation") -> int:
        return int(cast(int, self.redis.llen(queue)))

    def _info(self, section: str) -> dict[str, Any]:
        return cast(dict[str, Any], self.redis.info(section))

    def pg_connections(self) -> tuple[int, int]:
        """(connections to the bench database, client connections to the whole server)."""
        row = self.pg.execute(
            "SELECT count(*) FILTER (WHERE datname = %s), count(*) FILTER (WHERE backend_type ="
            " 'client backend') FROM pg_stat_activity",
            (self.db_name,),
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def max_connections(self) -> int:
        row = self.pg.execute("SHOW max_connections").fetchone()
        return int(row[0]) if row else 0

    def pg_backend_pids(self) -> list[int]:
        rows = self.pg.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.db_name,)
        ).fetchall()
        return [int(r[0]) for r in rows]

    def close(self) -> None:
        self.redis.close()
        self.pg.close()


@dataclass
class Sampler:
    """Samples the server side once per `tick()` call (rate-limited to `every` seconds)."""

    server: Server
    probe: Probe
    every: float = 1.0
    started: float = field(default_factory=time.monotonic)
    series: list[dict[str, Any]] = field(default_factory=list)
    cpu: "CpuMeter | None" = None
    _last: float = 0.0

    def snap(self, label: str = "") -> dict[str, Any]:
        pids = self.server.worker_pids()
        socks = sockets_by_pid(pids, self.server.port, (6379, 5432))
        db, total = self.probe.pg_connections()
        if self.cpu is not None:
            self.cpu.observe(self.probe.pg_backend_pids())
        sample = {
            "t": round(time.monotonic() - self.started, 1),
            "label": label,
            "rss_kib": [rss_kib(p) for p in pids],
            "sockets": socks["clients"],
            "server_redis": sum(socks["6379"]),
            "server_pg": sum(socks["5432"]),
            "redis_clients": self.probe.redis_clients(),
            "pg_bench": db,
            "pg_total": total,
            "load1": round(load1(), 2),
        }
        self.series.append(sample)
        self._last = time.monotonic()
        return sample

    def tick(self) -> None:
        if time.monotonic() - self._last >= self.every:
            self.snap()


class CpuMeter:
    """CPU used by each part of the system between creation and `stop()`, in cores.

    uvicorn workers are split by thread: the event loop (the main thread) and the others,
    which is where Channels runs every `database_sync_to_async` call."""

    def __init__(self, parts: dict[str, list[int]], pg_pids: list[int], workers: list[int]) -> None:
        self.parts = parts
        self.workers = workers
        self.begin = {name: {p: cpu_seconds(p) for p in pids} for name, pids in parts.items()}
        self.begin["postgres"] = {p: cpu_seconds(p) for p in pg_pids}
        # PostgreSQL backends come and go (CONN_MAX_AGE): remember each one's last reading.
        self.pg_seen = dict(self.begin["postgres"])
        self.threads = {pid: thread_cpu(pid) for pid in workers}
        self.busy0, self.total0 = machine_busy()
        self.t0 = time.monotonic()

    def observe(self, pg_pids: list[int]) -> None:
        for pid in pg_pids:
            cpu = cpu_seconds(pid)
            if cpu:
                self.pg_seen[pid] = cpu

    def stop(self, pg_pids: list[int], client_cpu: float) -> dict[str, float]:
        wall = time.monotonic() - self.t0
        self.observe(pg_pids)
        used: dict[str, float] = {}
        for name, pids in self.parts.items():
            start = self.begin.get(name, {})
            used[name] = sum(max(0.0, cpu_seconds(p) - start.get(p, 0.0)) for p in pids) / wall
        start = self.begin["postgres"]
        used["postgres"] = (
            sum(max(0.0, cpu - start.get(pid, 0.0)) for pid, cpu in self.pg_seen.items()) / wall
        )
        loop = sync = 0.0
        for pid in self.workers:
            before, after = self.threads[pid], thread_cpu(pid)
            for tid, cpu in after.items():
                delta = cpu - before.get(tid, 0.0)
                if tid == pid:
                    loop += delta
                else:
                    sync += delta
        threads = {
            "  of which uvicorn event loops": loop / wall,
            "  of which uvicorn other threads (sync/DB)": sync / wall,
        }
        first, *rest = used.items()
        used = dict([first, *threads.items(), *rest])
        used["bench clients"] = client_cpu / wall
        busy, _total = machine_busy()
        used["whole machine"] = (busy - self.busy0) / wall
        used["everything else"] = used["whole machine"] - sum(
            v for k, v in used.items() if k != "whole machine" and not k.startswith(" ")
        )
        return used


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


def tree_pids(pid: int) -> list[int]:
    out = [pid]
    for child in children(pid):
        out.extend(tree_pids(child))
    return out


# --- private servers for the chaos scenarios (bench/chaos.py, tests/chaos/) ---------------------
# Scenarios that restart Redis or PostgreSQL never touch the shared servers: each run starts its
# own, on a free loopback port, as child processes it stops by pid (also on failure).


def free_tcp_port() -> int:
    """A free loopback port picked by the kernel."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


# --- the scale-out topology: 2 uvicorn processes on 2 ports, 2 Celery workers, 1 beat -----------
@dataclass
class Topology:
    """What `start_topology` started; `web_ports[i]` is served by `webs[i]`."""

    stack: "Stack"
    webs: list["Server"]
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
    stack: "Stack",
    *,
    webs: int = 2,
    workers: int = 2,
    beat: bool = True,
    worker_env: dict[str, str] | None = None,
) -> Topology:
    """`worker_env`: settings only the Celery workers get on top of the stack's."""
    servers = [stack.uvicorn(free_tcp_port(), 1, name=f"web{i + 1}") for i in range(webs)]
    procs = [stack.celery_worker(name=f"worker{i + 1}", env=worker_env) for i in range(workers)]
    beat_proc = stack.celery_beat() if beat else None
    return Topology(stack, servers, procs, beat_proc, worker_env)
