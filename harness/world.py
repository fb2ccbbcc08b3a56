"""One chaos scenario's world: the run's PostgreSQL cluster (`Cluster`, migrated once into a
template database) and each scenario's own Redis, database, fake LLM and scale-out topology
(`World`), with what a scenario steers and reads through them (the fake LLM's control endpoint,
/health/circuit-breakers/, /metrics, SQL, `manage.py shell`).
"""

import contextlib
import json
import os
import secrets
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

from harness import servers
from harness.stack import Stack, Topology, free_tcp_port, start_topology

TEMPLATE_DB = "chaos_template"
Result = dict[str, Any]


# --- the private PostgreSQL cluster, migrated once ---------------------------------------------
class Cluster:
    """One PostgreSQL cluster for a whole run: a template database migrated once, and a fresh
    database per scenario copied from it (CREATE DATABASE … TEMPLATE, well under a second)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.pg: servers.PrivatePostgres | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "Cluster":
        try:
            self.pg = self._stack.enter_context(servers.private_postgres())
            self.pg.create_database(TEMPLATE_DB)
            logs = self.workdir / "migrate"
            logs.mkdir(parents=True, exist_ok=True)
            env = base_env(logs, DATABASE_URL=self.pg.url(TEMPLATE_DB))
            Stack(env=env, logs=logs).manage("migrate", "--noinput")
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def database(self, name: str) -> str:
        assert self.pg is not None
        self.pg.create_database(name, template=TEMPLATE_DB)
        return self.pg.url(name)


def base_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    skip = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "VAR_DIR", "PROMETHEUS_MULTIPROC_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    (var_dir / "prometheus").mkdir(parents=True, exist_ok=True)
    env.update(
        DJANGO_SETTINGS_MODULE="interviewsite.settings",
        PYTHONUNBUFFERED="1",
        SECRET_KEY="chaos-only-" + secrets.token_urlsafe(32),
        DEBUG="false",
        LOG_LEVEL="WARNING",
        VAR_DIR=str(var_dir),
        PROMETHEUS_MULTIPROC_DIR=str(var_dir / "prometheus"),
        LLM_PROVIDERS="offline",
        # Simulated candidates speak the socket protocol only: they never see the start page.
        INTERVIEW_CONSENT_REQUIRED="false",
    )
    env.update(overrides)
    return env


# --- one scenario's world -------------------------------------------------------------------------
class World:
    """A scenario's own Redis, database, fake LLM and topology; everything stopped on exit."""

    def __init__(
        self,
        cluster: Cluster,
        name: str,
        workdir: Path,
        *,
        time_limit: int = 30,
        env: dict[str, str] | None = None,
    ) -> None:
        self.cluster = cluster
        self.time_limit = time_limit
        self.name = name
        self.logs = workdir / name
        self.logs.mkdir(parents=True, exist_ok=True)
        self.extra_env = env or {}
        self.health_token = secrets.token_urlsafe(16)
        self._exit = contextlib.ExitStack()
        self.redis: servers.PrivateRedis
        self.db_url = ""
        self.fake_port = 0
        self.stack: Stack
        self.topology: Topology

    def __enter__(self) -> "World":
        try:
            self.redis = self._exit.enter_context(servers.private_redis(self.logs))
            self.db_url = self.cluster.database(f"chaos_{self.name.replace('-', '_')}")
            self.fake_port = free_tcp_port()
            fake = f"http://127.0.0.1:{self.fake_port}"
            env = base_env(
                self.logs / "var",
                DATABASE_URL=self.db_url,
                REDIS_URL=self.redis.url(0),
                OPENAI_BASE_URL=f"{fake}/v1",
                OPENAI_API_KEY="chaos",
                ANTHROPIC_BASE_URL=fake,
                ANTHROPIC_API_KEY="chaos",
                HEALTH_TOKEN=self.health_token,
                # Short Celery timings so a SIGKILLed worker's task is redelivered within a
                # minute; the visibility timeout still exceeds hard limit + longest countdown.
                CELERY_TASK_SOFT_TIME_LIMIT=str(max(self.time_limit - 5, self.time_limit * 3 // 4)),
                CELERY_TASK_TIME_LIMIT=str(self.time_limit),
                EVALUATION_RETRY_BASE_SECONDS="3",
                EVALUATION_RETRY_MAX_SECONDS="10",
                CELERY_VISIBILITY_TIMEOUT=str(self.time_limit + 15),
            )
            env.update(self.extra_env)
            self.stack = Stack(env=env, logs=self.logs)
            self._exit.callback(self.stack.stop_all)
            self.stack.fake_llm(self.fake_port, 0)
        except BaseException:
            self._exit.close()
            raise
        return self

    def start(self, worker_env: dict[str, str] | None = None) -> None:
        try:
            self.topology = start_topology(self.stack, worker_env=worker_env)
        except BaseException:
            print("\n".join(p.tail() for p in self.stack.procs), file=sys.stderr)
            raise

    def log_problems(self) -> Counter[str]:
        """ERROR/CRITICAL lines and tracebacks in each process's log, by process."""
        found: Counter[str] = Counter()
        for proc in self.stack.procs:
            found[proc.name] += len(proc.problems())
        return found

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:
            print("\n".join(p.tail() for p in self.stack.procs), file=sys.stderr)
        self._exit.close()

    # --- set-up through the services, in a child process on the scenario's settings ------------
    def shell(self, code: str) -> Any:
        out = self.stack.manage("shell", "-c", code)
        for line in out.splitlines():
            if line.startswith("RESULT="):
                return json.loads(line[len("RESULT=") :])
        raise RuntimeError(f"no RESULT from manage.py shell:\n{out[-2000:]}")

    def create_interviews(self, count: int, questions: int) -> list[str]:
        code = f"""
import json
from interviews.llm.offline import TOPICS
from interviews.services.interviews import interview_create
paths = []
for i in range({count}):
    created = interview_create(
        candidate_name=f"Chaos candidate {{i}}", role="Backend engineer",
        topic=TOPICS[i % 5], difficulty=("easy", "medium", "hard")[i % 3],
        question_count={questions},
    )
    paths.append(created.ws_path)
print("RESULT=" + json.dumps(paths))
"""
        paths: list[str] = self.shell(code)
        return paths

    def configure_breakers(self, names: tuple[str, ...], **fields: Any) -> None:
        """Create the breakers' rows as staff would in the admin, before the processes start."""
        code = f"""
import json
from resilience.models import BreakerConfig
for name in {list(names)!r}:
    row = BreakerConfig.objects.filter(name=name).first() or BreakerConfig(name=name)
    for key, value in {fields!r}.items():
        setattr(row, key, value)
    row.full_clean()
    row.save()
print("RESULT=" + json.dumps(len({list(names)!r})))
"""
        self.shell(code)

    # --- what the scenario steers and reads ----------------------------------------------------
    def plan(self, paths: list[str]) -> list[list[str]]:
        ports = self.topology.web_ports
        return [[f"ws://127.0.0.1:{port}{path}" for port in ports] for path in paths]

    def fake(self, **control: Any) -> Result:
        url = f"http://127.0.0.1:{self.fake_port}/_control"
        if control:
            response = httpx.post(url, json=control, timeout=10)
        else:
            response = httpx.get(url, timeout=10)
        response.raise_for_status()
        data: Result = response.json()
        return data

    def breakers(self, port: int) -> dict[str, Result]:
        """/health/circuit-breakers/ of one web process: each breaker as that process sees it."""
        try:
            response = httpx.get(
                f"http://127.0.0.1:{port}/health/circuit-breakers/",
                headers={"Authorization": f"Bearer {self.health_token}"},
                timeout=5,
            )
            rows: dict[str, Result] = response.json().get("breakers", {})
        except (httpx.HTTPError, ValueError):
            return {}
        return rows

    def metric(self, port: int, name: str) -> float:
        """Sum of a counter over every process (multiprocess metrics), read from one web."""
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except httpx.HTTPError:
            return float("nan")
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and not line.startswith("#"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.db_url.replace("postgres://", "postgresql://", 1)) as conn:
            return conn.execute(query, args).fetchall()

    def connections(self) -> str:
        """PostgreSQL connections to this scenario's database and Redis clients, now."""
        try:
            pg = self.sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            client = redis.Redis.from_url(self.redis.url(0), socket_timeout=5)
            info: dict[str, Any] = client.info("clients")  # type: ignore[assignment]
        except (psycopg.Error, redis.RedisError) as exc:
            return f"connections: not readable ({exc})"
        return (
            f"connections at the end (2 web, 2 workers, beat; this probe included):"
            f" PostgreSQL {pg[0][0]}, Redis {info['connected_clients']}"
        )

    def pids(self) -> dict[str, int]:
        procs = [w.proc for w in self.topology.webs] + self.topology.workers
        return {p.name: p.pid for p in procs if p.popen.poll() is None}
