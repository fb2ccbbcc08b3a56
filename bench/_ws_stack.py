"""The real services under bench/ws_load.py: a throw-away PostgreSQL database, uvicorn and Celery
processes started (and stopped) by pid, and what the bench reads about them from /proc, Redis and
pg_stat_activity. Linux only (it reads /proc); loopback only.
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

    def start(self, name: str, *args: str) -> Proc:
        log = self.logs / f"{name}.log"
        nofile = self.nofile

        def limits() -> None:  # runs in the child before exec
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(nofile, hard), hard))

        with log.open("wb") as handle:
            popen = subprocess.Popen(
                list(args),
                cwd=ROOT,
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=limits,  # the bench starts its processes before any thread
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

    def uvicorn(self, port: int, workers: int) -> "Server":
        proc = self.start(
            "uvicorn",
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

    def celery_worker(self, concurrency: int = 1) -> Proc:
        return self.start(
            "celery",
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
            f"bench-{os.getpid()}@%h",
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
