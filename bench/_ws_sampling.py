"""What bench/ws_load.py samples on the server side while it runs: connections to Redis and
PostgreSQL (`Probe`), a time series of sockets, RSS and connections (`Sampler`), and the CPU each
part of the system used (`CpuMeter`).
"""

import time
from dataclasses import dataclass, field
from typing import Any, cast

import psycopg
import redis

from harness.procfs import cpu_seconds, load1, machine_busy, rss_kib, sockets_by_pid, thread_cpu
from harness.stack import BROKER_URL, PG_ADMIN_URL, Server


class Probe:
    """Connections the bench itself holds to read figures; each counts once in every figure."""

    def __init__(self, db_name: str, broker_url: str = BROKER_URL) -> None:
        self.db_name = db_name
        self.redis = redis.Redis.from_url(broker_url, socket_timeout=5)
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
        self.wall = 0.0  # seconds between creation and stop()

    def observe(self, pg_pids: list[int]) -> None:
        for pid in pg_pids:
            cpu = cpu_seconds(pid)
            if cpu:
                self.pg_seen[pid] = cpu

    def stop(self, pg_pids: list[int], client_cpu: float) -> dict[str, float]:
        wall = self.wall = time.monotonic() - self.t0
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
