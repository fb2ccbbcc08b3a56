"""Chaos scenarios on the production topology, each asserting that nothing is lost.

    .venv/bin/python bench/chaos.py               # every scenario, spec-sized (`make chaos`)
    .venv/bin/python bench/chaos.py llm-down --interviews 10 --outage 15

Topology (bench/_ws_stack.py, `start_topology`): two uvicorn processes on two ports (each
candidate alternates between them on every (re)connect, so sockets are spread and every resume
lands on the other process), two Celery workers (concurrency 1), one beat, a PostgreSQL cluster
and a Redis server of this run's own (channel layer, broker, cache and breaker store), and the
fake LLM (`manage.py fake_llm`) steered through its control endpoint. Nothing shared is
touched: the private servers are on free loopback ports and are stopped by pid at the end, also
on failure. Every wait is bounded, so a run always ends by itself.

Scenarios (defaults are the issue's sizes; tests/chaos/ runs them smaller):
  llm-down          the LLM fails every call (error500) for --outage s during --interviews live
                    interviews (LLM_PROVIDERS=openai,anthropic: no offline interviewer, so
                    questions come from the question cache or the contextual fallback)
  llm-slow          the LLM answers after --latency-ms, above the breakers' slow-call threshold
  redis-restart     the Redis server is killed (SIGKILL) and started again after --outage s
  postgres-restart  PostgreSQL is shut down (fast) and started again after --outage s
  worker-kill       a Celery worker is SIGKILLed (its whole process group) mid-evaluation,
                    --kills times, and started again, as a supervisor would
  storm             every candidate's socket is aborted at once; all resume

Each prints its record: load held, faults injected, what was checked, lost (must be 0),
recovery times, and a verdict. Exit status 1 if any scenario failed.
"""

import argparse
import contextlib
import itertools
import json
import logging
import math
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the bench's helper modules

import _ws_clients as clients  # noqa: E402
import _ws_stack as infra  # noqa: E402

# One line per HTTP request the driver makes (health, control) would drown the records.
logging.getLogger("httpx").setLevel(logging.WARNING)
SCENARIOS = ("llm-down", "worker-kill", "redis-restart", "storm", "postgres-restart", "llm-slow")
TEMPLATE_DB = "chaos_template"
LLM_BREAKERS = ("llm.openai", "llm.anthropic")
Result = dict[str, Any]


# --- parameters and records ---------------------------------------------------------------------
@dataclass
class Params:
    interviews: int = 50
    outage: float = 60.0  # seconds the fault lasts (llm-down, llm-slow, redis/postgres down)
    warm: float = 20.0  # seconds of healthy load before the fault
    after: float = 20.0  # seconds the interviews keep going after the fault ends, at least
    questions: int = 0  # 0: enough for every interview to outlast warm + outage + after
    think_min: float = 2.0
    think_max: float = 4.0
    ramp: float = 5.0
    llm_timeout: float = 15.0  # LLM_TIMEOUT_SECONDS
    latency_ms: float = 4000.0  # llm-slow: the LLM's answer time
    slow_call_duration: float = 2.0  # llm-slow: the breakers' slow-call threshold
    kills: int = 2  # worker-kill
    fault: str = "error500"  # llm-down: the fake's mode while "down"
    task_time_limit: int = 30  # CELERY_TASK_TIME_LIMIT; the visibility timeout is 15 s more

    def one_timeout_ms(self) -> float:
        """One LLM timeout, plus what the rest of a turn may take on a busy shared machine
        (saving the answer and the turn, the socket): a second timeout never fits in it."""
        return (self.llm_timeout + max(3.0, self.llm_timeout / 2)) * 1000

    def question_count(self) -> int:
        if self.questions:
            return self.questions
        turn = (self.think_min + self.think_max) / 2 + 0.5
        return max(3, min(50, math.ceil((self.ramp + self.warm + self.outage + self.after) / turn)))


@dataclass
class Record:
    scenario: str
    command: str
    load: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    recovery: dict[str, str] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    wall_s: float = 0.0

    @property
    def lost(self) -> int:
        return sum(v for k, v in self.checked.items() if k.startswith("lost"))

    @property
    def duplicated(self) -> int:
        return sum(v for k, v in self.checked.items() if k.startswith("duplicated"))

    @property
    def ok(self) -> bool:
        return not self.problems

    def expect(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)

    def text(self) -> str:
        lines = [f"=== {self.scenario}: {'PASS' if self.ok else 'FAIL'} ({self.wall_s:.0f} s)"]
        lines.append(f"command: {self.command}")
        for title, items in (("load", self.load), ("faults injected", self.faults)):
            lines.append(f"{title}:")
            lines += [f"  {item}" for item in items]
        lines.append("checked:")
        lines += [f"  {key:<52} {value}" for key, value in self.checked.items()]
        lines.append(f"LOST: {self.lost}   DUPLICATED: {self.duplicated}")
        lines.append("recovery:")
        lines += [f"  {key:<52} {value}" for key, value in self.recovery.items()]
        if self.figures:
            lines.append("figures:")
            lines += [f"  {item}" for item in self.figures]
        for problem in self.problems:
            lines.append(f"PROBLEM: {problem}")
        return "\n".join(lines)

    def as_dict(self) -> Result:
        data = dict(self.__dict__)
        data.update(ok=self.ok, lost=self.lost, duplicated=self.duplicated)
        return data


# --- the private PostgreSQL cluster, migrated once ---------------------------------------------
class Cluster:
    """One PostgreSQL cluster for a whole run: a template database migrated once, and a fresh
    database per scenario copied from it (CREATE DATABASE … TEMPLATE, well under a second)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.pg: infra.PrivatePostgres | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "Cluster":
        try:
            self.pg = self._stack.enter_context(infra.private_postgres())
            self.pg.create_database(TEMPLATE_DB)
            logs = self.workdir / "migrate"
            logs.mkdir(parents=True, exist_ok=True)
            env = base_env(logs, DATABASE_URL=self.pg.url(TEMPLATE_DB))
            infra.Stack(env=env, logs=logs).manage("migrate", "--noinput")
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
        self.redis: infra.PrivateRedis
        self.db_url = ""
        self.fake_port = 0
        self.stack: infra.Stack
        self.topology: infra.Topology

    def __enter__(self) -> "World":
        try:
            self.redis = self._exit.enter_context(infra.private_redis(self.logs))
            self.db_url = self.cluster.database(f"chaos_{self.name.replace('-', '_')}")
            self.fake_port = infra.free_tcp_port()
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
            self.stack = infra.Stack(env=env, logs=self.logs)
            self._exit.callback(self.stack.stop_all)
            self.stack.fake_llm(self.fake_port, 0)
        except BaseException:
            self._exit.close()
            raise
        return self

    def start(self, worker_env: dict[str, str] | None = None) -> None:
        try:
            self.topology = infra.start_topology(self.stack, worker_env=worker_env)
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


# --- the candidates and the audit ---------------------------------------------------------------
def start_candidates(
    world: World, p: Params, deadline_s: float
) -> tuple[clients.ChaosRun, threading.Thread]:
    paths = world.create_interviews(p.interviews, p.question_count())
    timing = clients.Timing(
        think_min=p.think_min, think_max=p.think_max, timeout=p.llm_timeout + 15, thin_share=0.25
    )
    run = clients.ChaosRun(world.plan(paths), timing, p.ramp, time.monotonic() + deadline_s)
    thread = threading.Thread(target=run.run, name="chaos-candidates", daemon=True)
    thread.start()
    wait_until(lambda: run.loop is not None and len(run.candidates) == p.interviews, 30)
    return run, thread


def wait_until(predicate: Callable[[], bool], timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def sleep_until(moment: float, tick: Callable[[], None] | None = None, every: float = 0.5) -> None:
    while (left := moment - time.monotonic()) > 0:
        if tick is not None:
            tick()
        time.sleep(min(every, max(left, 0.0)))


def finish_candidates(run: clients.ChaosRun, thread: threading.Thread, timeout: float) -> Result:
    thread.join(timeout)
    if thread.is_alive():
        raise RuntimeError("the candidates did not finish by their deadline")
    return run.result


def audit(world: World, result: Result) -> dict[str, int]:
    """Every interview's stored turns against what its candidate sent and saw acknowledged."""
    records = result["extra"]["records"]
    rows = world.sql(
        "SELECT i.room_id, i.status, t.seq, t.kind, t.client_msg_id FROM interviews_interview i"
        " LEFT JOIN interviews_turn t ON t.interview_id = i.id ORDER BY i.id, t.seq"
    )
    turns: dict[str, list[tuple[int, str, str]]] = {}
    status: dict[str, str] = {}
    for room, state, seq, kind, msg_id in rows:
        status[room] = state
        if seq is not None:
            turns.setdefault(room, []).append((seq, kind, str(msg_id) if msg_id else ""))
    total: Counter[str] = Counter()
    for record in records:
        room = record["url"].split("/ws/interviews/", 1)[1].split("/", 1)[0]
        events = turns.get(room, [])
        sent, acked = set(record["sent"]), set(record["acked"])
        stored = [m for _, kind, m in events if kind == "answer"]
        stored_set = set(stored)
        kinds = [kind for _, kind, _ in events]
        total["interviews"] += 1
        total["interviews completed"] += status.get(room) == "completed"
        total["answers sent (distinct client_msg_id)"] += len(sent)
        total["answers acknowledged"] += len(acked)
        total["answers stored"] += len(stored)
        total["lost (acknowledged, not stored)"] += len(acked - stored_set)
        # The answer a candidate still waited on when the run's deadline stopped it (an
        # overloaded run) was never confirmed either way: counted apart, not as lost.
        gave_up = set()
        if not record["completed"] and not record["finished_elsewhere"] and record["outstanding"]:
            gave_up = {record["outstanding"]} - stored_set
        total["lost (sent, never acknowledged nor stored)"] += len(
            sent - acked - stored_set - gave_up
        )
        total["unconfirmed: candidate stopped at the deadline waiting for it"] += len(gave_up)
        total["duplicated (same client_msg_id twice)"] += len(stored) - len(stored_set)
        total["duplicated (two answers to one question)"] += sum(
            1 for a, b in itertools.pairwise(kinds) if a == b == "answer"
        )
        total["stored but never sent"] += len(stored_set - sent)
        total["interviews with a seq gap"] += [s for s, _, _ in events] != list(
            range(1, len(events) + 1)
        )
        total["client's last seq != stored last seq"] += bool(events) and (
            record["last_seq"] != events[-1][0] and not record["finished_elsewhere"]
        )
        total["sockets opened"] += record["connects"]
        total["resumed on another web process"] += sum(
            1 for a, b in itertools.pairwise(record["ports"]) if a != b
        )
        total["answers re-sent after a retryable error"] += record["retried"]
    return dict(total)


def evaluations(world: World, timeout: float) -> dict[str, int]:
    """Wait (bounded) until every finished interview's evaluation is final; count them."""

    def counts() -> dict[str, int]:
        rows = world.sql(
            "SELECT coalesce(e.status, 'missing'), count(*) FROM interviews_interview i LEFT JOIN"
            " interviews_evaluation e ON e.interview_id = i.id WHERE i.status = 'completed'"
            " GROUP BY 1"
        )
        return {status: n for status, n in rows}

    wait_until(lambda: set(counts()) <= {"done", "incomplete"}, timeout, every=1)
    found = counts()
    attempts = world.sql(
        "SELECT attempts, count(*) FROM interviews_evaluation GROUP BY 1 ORDER BY 1"
    )
    out = {f"evaluations {status}": n for status, n in sorted(found.items())}
    out.update({f"evaluations run {a} time(s) (attempts)": n for a, n in attempts})
    return out


def common_checks(
    record: Record, p: Params, result: Result, world: "World", *, incomplete_ok: bool = False
) -> None:
    """`incomplete_ok`: an evaluation may end `incomplete` (its reason stored, staff can re-run
    it) instead of `done`: with no offline interviewer listed, one that runs while the LLM
    breakers are open fails after MAX_RETRY_ATTEMPTS attempts. It must still be final."""
    problems = world.log_problems()
    record.figures.append(
        "ERROR lines / tracebacks in the server logs: "
        + (", ".join(f"{k} {v}" for k, v in sorted(problems.items()) if v) or "none")
    )
    record.figures.append(world.connections())
    c = record.checked
    record.expect(record.lost == 0, f"{record.lost} answers lost")
    record.expect(record.duplicated == 0, f"{record.duplicated} answers duplicated")
    record.expect(c.get("interviews with a seq gap", 0) == 0, "a transcript has a seq gap")
    record.expect(
        c.get("interviews completed", 0) == p.interviews,
        f"only {c.get('interviews completed', 0)} of {p.interviews} interviews completed",
    )
    record.expect(
        c.get("client's last seq != stored last seq", 0) == 0,
        "a candidate's last seq differs from the stored one",
    )
    errors = {k: v for k, v in result["errors"].items()}
    record.expect(not errors, f"client errors: {errors} {result['samples'][:3]}")
    done = c.get("evaluations done", 0) + incomplete_ok * c.get("evaluations incomplete", 0)
    record.expect(
        done == c.get("interviews completed", 0),
        f"{done} evaluations final for {c.get('interviews completed', 0)} completed interviews",
    )
    record.checked["client error frames / unexpected failures"] = sum(errors.values())


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def waits(result: Result, start: float, end: float) -> list[tuple[float, float, str]]:
    """(sent, ms, source) of answers first sent in [start, end)."""
    return [
        (sent, ms, source)
        for r in result["extra"]["records"]
        for sent, ms, source in r["waits"]
        if start <= sent < end
    ]


def wait_line(name: str, items: list[tuple[float, float, str]]) -> str:
    ms = [x[1] for x in items]
    if not ms:
        return f"{name}: no samples"
    return (
        f"{name}: p50 {pct(ms, 0.5):.0f} ms, p99 {pct(ms, 0.99):.0f} ms, max {max(ms):.0f} ms"
        f" (n={len(ms)})"
    )


def recovered_after(result: Result, moment: float) -> tuple[float, int]:
    """Seconds from `moment` until every candidate still interviewing made progress again
    (a new ack or turn), and how many candidates that covers."""
    progress = ("ack", "question", "follow_up", "completed")
    delays = []
    for record in result["extra"]["records"]:
        events = record["events"]
        if any(what == "completed" and t < moment for t, what in events):
            continue
        after = [t for t, what in events if t >= moment and what in progress]
        if after:
            delays.append(after[0] - moment)
    return (max(delays) if delays else 0.0), len(delays)


def load_lines(p: Params, world: World, extra: str = "") -> list[str]:
    topo = world.topology
    return [
        f"{p.interviews} live interviews of {p.question_count()} questions, think time"
        f" {p.think_min:g}-{p.think_max:g} s, started over {p.ramp:g} s{extra}",
        f"2 uvicorn processes (ports {', '.join(map(str, topo.web_ports))}; each candidate"
        " alternates on every (re)connect), 2 Celery workers (concurrency 1), 1 beat,"
        " private PostgreSQL and Redis, fake LLM",
    ]


# --- scenarios ------------------------------------------------------------------------------------
def transitions(world: World, since_epoch: float) -> list[str]:
    """Every breaker transition in the event log, seconds after `since_epoch` (wall clock)."""
    rows = world.sql(
        "SELECT extract(epoch from created_at), breaker_name, from_state, to_state, reason,"
        " details FROM resilience_breakerevent WHERE kind = 'transition' ORDER BY created_at, id"
    )
    return [
        f"{float(at) - since_epoch:+7.1f} s  {name}: {old} → {new} ({reason})"
        + (
            f" trips {details.get('trips')}"
            if isinstance(details, dict) and "trips" in details
            else ""
        )
        for at, name, old, new, reason, details in rows
    ]


class BreakerWatch:
    """Each LLM breaker's state on every web process, and the fake's request counts, sampled."""

    def __init__(self, world: World, names: tuple[str, ...]) -> None:
        self.world = world
        self.names = names
        self.samples: list[tuple[float, dict[int, dict[str, Result]], Result]] = []

    def tick(self) -> None:
        views = {port: self.world.breakers(port) for port in self.world.topology.web_ports}
        with contextlib.suppress(httpx.HTTPError):
            self.samples.append((time.monotonic(), views, self.world.fake()))

    def state(
        self, sample: tuple[float, dict[int, dict[str, Result]], Result], name: str
    ) -> set[str]:
        return {view.get(name, {}).get("state", "?") for view in sample[1].values()}

    def first(self, name: str, state: str, since: float) -> tuple[float, Result] | None:
        for t, views, fake in self.samples:
            if t >= since and any(v.get(name, {}).get("state") == state for v in views.values()):
                return t, fake
        return None

    def at(self, moment: float) -> tuple[float, dict[int, dict[str, Result]], Result]:
        return min(self.samples, key=lambda s: abs(s[0] - moment))

    def disagreement_s(self, name: str) -> float:
        """Longest run of consecutive samples in which the web processes disagreed."""
        longest = run_start = 0.0
        inside = False
        for t, _views, _fake in self.samples:
            differ = len(self.state((t, _views, _fake), name) - {"?"}) > 1
            if differ and not inside:
                inside, run_start = True, t
            elif not differ and inside:
                inside = False
                longest = max(longest, t - run_start)
        return longest


def scenario_llm_down(cluster: Cluster, p: Params, workdir: Path, command: str) -> Record:
    record = Record("llm-down", command)
    world_env = {"LLM_PROVIDERS": "openai,anthropic", "LLM_TIMEOUT_SECONDS": f"{p.llm_timeout:g}"}
    with World(cluster, "llm-down", workdir, env=world_env) as world:
        world.configure_breakers(LLM_BREAKERS)  # the defaults, rows visible to /health
        world.start()
        record.load = load_lines(p, world, "; LLM_PROVIDERS=openai,anthropic (no offline)")
        watch = BreakerWatch(world, LLM_BREAKERS)
        deadline = p.ramp + p.warm + p.outage + p.question_count() * (p.think_max + 5) + 120
        run, thread = start_candidates(world, p, deadline)
        t0 = time.monotonic()
        fault_at, restore_at = t0 + p.ramp + p.warm, t0 + p.ramp + p.warm + p.outage
        sleep_until(fault_at, watch.tick)
        world.fake(mode=p.fault, fail_rate=1)
        fault_at = time.monotonic()
        fault_epoch = time.time()
        watch.tick()
        record.faults.append(
            f"fake LLM mode {p.fault} (every call, both providers) for {p.outage:g} s,"
            f" {p.ramp + p.warm:g} s into the run"
        )
        sleep_until(restore_at, watch.tick)
        world.fake(mode="ok")
        restore_at = time.monotonic()
        watch.tick()
        at_restore = watch.at(restore_at)
        sleep_until(restore_at + p.after, watch.tick)  # breakers' recovery, sampled
        result = finish_candidates(run, thread, deadline + 60)
        record.checked = audit(world, result)
        record.checked.update(evaluations(world, 180))
        common_checks(record, p, result, world, incomplete_ok=True)
        during = waits(result, fault_at, restore_at)
        sources = Counter(src for _, _, src in during)
        record.figures.append(
            "turns served while the LLM was down, by source: "
            + ", ".join(f"{k} {v}" for k, v in sorted(sources.items()))
        )
        record.figures.append(
            wait_line("answer → next turn before the outage", waits(result, 0, fault_at))
        )
        record.figures.append(wait_line("answer → next turn during the outage", during))
        record.figures.append(
            wait_line("answer → next turn after the LLM is back", waits(result, restore_at, 1e18))
        )
        record.expect(
            all(ms <= p.one_timeout_ms() for _, ms, _ in during),
            f"a candidate waited more than one LLM timeout ({p.llm_timeout:g} s, plus slack for"
            " a busy machine) during the outage",
        )
        llm_during = [round(sent - fault_at, 2) for sent, _, src in during if src == "llm"]
        record.expect(
            not llm_during or p.fault != "error500",
            f"an LLM turn was served while every call failed (answers sent {llm_during} s"
            " after the fault)",
        )
        base = world.fake()
        for name, path in (
            ("llm.openai", "/v1/chat/completions"),
            ("llm.anthropic", "/v1/messages"),
        ):
            opened = watch.first(name, "open", fault_at)
            if opened is None or opened[0] > restore_at:
                record.problems.append(f"{name} did not open during the outage")
                continue
            at_fault = watch.at(fault_at)[2]["by_path"].get(path, 0)
            calls = opened[1]["by_path"].get(path, 0) - at_fault
            record.recovery[f"{name} opened after"] = (
                f"{opened[0] - fault_at:.1f} s, {calls} failed calls (failure_threshold 10)"
            )
            left = max(
                float(v.get(name, {}).get("retry_after") or 0) for v in at_restore[1].values()
            )
            closed = watch.first(name, "closed", restore_at)
            bound = left + p.think_max + 10
            calls_after = base["by_path"].get(path, 0) - at_restore[2]["by_path"].get(path, 0)
            if closed is None and calls_after == 0 and name != LLM_BREAKERS[0]:
                # A later provider in the chain is only called when the ones before it fail:
                # with the first one answering again, no call reaches it, so no trial either.
                record.recovery[f"{name} after the LLM returned"] = (
                    "no call reached it (the first provider answered every call), so no trial"
                    " yet: it stays open until its next call"
                )
                continue
            if closed is None:
                record.problems.append(
                    f"{name} did not close within {p.after:g} s of the LLM's return (open time"
                    f" left then {left:.1f} s)"
                )
                continue
            record.recovery[f"{name} closed after the LLM returned"] = (
                f"{closed[0] - restore_at:.1f} s (open time left then {left:.1f} s + trial)"
            )
            record.expect(
                closed[0] - restore_at <= bound,
                f"{name} closed {closed[0] - restore_at:.1f} s after the LLM returned, bound"
                f" {bound:.1f} s",
            )
            record.recovery[f"{name}: longest disagreement between the 2 web processes"] = (
                f"{watch.disagreement_s(name):.1f} s (sampled every ~0.5 s)"
            )
        first_llm = [s for s, _, src in waits(result, restore_at, 1e18) if src == "llm"]
        if first_llm:
            record.recovery["first LLM-written turn after the LLM returned"] = (
                f"{min(first_llm) - restore_at:.1f} s"
            )
        record.figures.append(
            f"fake LLM requests in all: {base['requests']} ({json.dumps(base['by_outcome'])})"
        )
        record.figures.append(
            f"breaker transitions (seconds after the fault; the LLM returned at"
            f" +{restore_at - fault_at:.1f} s):"
        )
        record.figures += ["  " + line for line in transitions(world, fault_epoch)]
    return record


def scenario_llm_slow(cluster: Cluster, p: Params, workdir: Path, command: str) -> Record:
    record = Record("llm-slow", command)
    world_env = {"LLM_PROVIDERS": "openai,offline", "LLM_TIMEOUT_SECONDS": f"{p.llm_timeout:g}"}
    policy = {
        "slow_call_duration": p.slow_call_duration,
        "slow_call_rate_threshold": 50.0,
        "minimum_calls": 5,
        "window_size": 20,
        "recovery_timeout": 10.0,
    }
    with World(cluster, "llm-slow", workdir, env=world_env) as world:
        world.configure_breakers(("llm.openai",), **policy)
        world.start()
        record.load = load_lines(p, world, "; LLM_PROVIDERS=openai,offline")
        watch = BreakerWatch(world, ("llm.openai",))
        deadline = p.ramp + p.warm + p.outage + p.question_count() * (p.think_max + 5) + 120
        run, thread = start_candidates(world, p, deadline)
        t0 = time.monotonic()
        fault_at, restore_at = t0 + p.ramp + p.warm, t0 + p.ramp + p.warm + p.outage
        sleep_until(fault_at, watch.tick)
        world.fake(latency_ms=p.latency_ms)
        fault_at = time.monotonic()
        fault_epoch = time.time()
        record.faults.append(
            f"fake LLM answers after {p.latency_ms:g} ms (slow-call threshold"
            f" {p.slow_call_duration:g} s, rate 50 % of >= 5 calls; LLM_TIMEOUT_SECONDS"
            f" {p.llm_timeout:g}) for {p.outage:g} s"
        )
        sleep_until(restore_at, watch.tick)
        world.fake(latency_ms=0)
        restore_at = time.monotonic()
        watch.tick()
        left = max(
            float(v.get("llm.openai", {}).get("retry_after") or 0)
            for v in watch.at(restore_at)[1].values()
        )
        sleep_until(restore_at + max(p.after, left + 15), watch.tick)
        result = finish_candidates(run, thread, deadline + 60)
        record.checked = audit(world, result)
        record.checked.update(evaluations(world, 180))
        common_checks(record, p, result, world)
        during = waits(result, fault_at, restore_at)
        record.figures.append(
            "turns while slow, by source: "
            + ", ".join(f"{k} {v}" for k, v in sorted(Counter(s for *_, s in during).items()))
        )
        record.figures.append(wait_line("answer → next turn while the LLM is slow", during))
        record.expect(
            all(ms <= p.one_timeout_ms() for _, ms, _ in during),
            f"a candidate waited more than one LLM timeout ({p.llm_timeout:g} s, plus slack for"
            " a busy machine) while the LLM was slow",
        )
        opened = watch.first("llm.openai", "open", fault_at)
        reasons = world.sql(
            "SELECT reason, count(*) FROM resilience_breakerevent WHERE kind = 'transition'"
            " AND to_state = 'open' GROUP BY 1"
        )
        record.recovery["llm.openai opened by"] = json.dumps(dict(reasons))
        if opened is None or opened[0] > restore_at:
            record.problems.append("llm.openai did not open while the LLM was slow")
        else:
            record.recovery["llm.openai opened after"] = f"{opened[0] - fault_at:.1f} s"
            record.expect(
                any("slow" in str(r) for r, _ in reasons), "the breaker did not open on slow calls"
            )
        closed = watch.first("llm.openai", "closed", restore_at)
        # A trial that started before the latency was removed is slow and re-opens it: the
        # bound is the open time left then, plus one trial and a think time.
        bound = left + p.think_max + 10
        record.recovery["llm.openai closed after the latency was removed"] = (
            f"{closed[0] - restore_at:.1f} s (open time left then {left:.1f} s + trial)"
            if closed
            else f"not within {max(p.after, left + 15):.0f} s"
        )
        record.expect(
            closed is not None and closed[0] - restore_at <= bound,
            f"llm.openai did not close within {bound:.0f} s of the LLM being fast again",
        )
        record.figures.append("breaker transitions (seconds after the latency was added):")
        record.figures += ["  " + line for line in transitions(world, fault_epoch)]
    return record


def scenario_worker_kill(cluster: Cluster, p: Params, workdir: Path, command: str) -> Record:
    record = Record("worker-kill", command)
    with World(cluster, "worker-kill", workdir, time_limit=p.task_time_limit) as world:
        # Questions from the offline interviewer (web processes), evaluations by the LLM
        # (workers only), which answers after 1.5 s: long enough to be killed mid-evaluation.
        world.start(worker_env={"LLM_PROVIDERS": "openai,offline"})
        world.fake(latency_ms=1500)
        record.load = load_lines(
            p, world, "; questions offline, evaluations by the LLM answering after 1.5 s"
        )
        deadline = p.ramp + p.question_count() * (p.think_max + 5) + 180
        run, thread = start_candidates(world, p, deadline)
        killed: list[tuple[float, str, list[int]]] = []

        def running() -> list[int]:
            return [
                r[0]
                for r in world.sql(
                    "SELECT interview_id FROM interviews_evaluation WHERE status = 'running'"
                )
            ]

        end = time.monotonic() + deadline
        while len(killed) < p.kills and time.monotonic() < end and thread.is_alive():
            busy = running()
            pending = world.sql("SELECT count(*) FROM interviews_evaluation WHERE status='pending'")
            if busy and pending[0][0] >= 1:
                index = len(killed) % len(world.topology.workers)
                victim = world.topology.workers[index]
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(victim.pid, signal.SIGKILL)
                victim.popen.wait(10)
                killed.append((time.monotonic(), victim.name, busy))
                record.faults.append(
                    f"SIGKILL to {victim.name}'s process group (main + pool) while evaluations"
                    f" of interviews {busy} were running and {pending[0][0]} were queued"
                )
                time.sleep(3)
                world.topology.restart_worker(index)  # what a supervisor does
                time.sleep(5)
            time.sleep(0.3)
        result = finish_candidates(run, thread, deadline + 60)
        record.checked = audit(world, result)
        record.checked.update(evaluations(world, 240))
        common_checks(record, p, result, world)
        record.expect(len(killed) == p.kills, f"only {len(killed)} of {p.kills} kills happened")
        for at, name, ids in killed:
            finished = world.sql(
                "SELECT max(extract(epoch from finished_at)) , count(*) FILTER (WHERE status ="
                " 'done') FROM interviews_evaluation WHERE interview_id = ANY(%s)",
                ids,
            )[0]
            now_epoch = time.time() - (time.monotonic() - at)
            took = float(finished[0]) - now_epoch if finished[0] else float("nan")
            record.recovery[f"kill of {name}: evaluations it was running done after"] = (
                f"{took:.1f} s ({finished[1]} of {len(ids)} done; redelivered after the"
                f" {p.task_time_limit + 15} s visibility timeout)"
            )
        fake = world.fake()
        record.figures.append(
            f"evaluate requests at the fake LLM: {fake['by_task'].get('evaluate', 0)} for"
            f" {record.checked.get('evaluations done', 0)} evaluations (killed runs redo theirs)"
        )
        done_rows = world.sql(
            "SELECT count(*), count(DISTINCT interview_id), count(*) FILTER (WHERE overall_score"
            " IS NULL) FROM interviews_evaluation WHERE status = 'done'"
        )[0]
        record.expect(done_rows[0] == done_rows[1], "an interview has two done evaluations")
        record.expect(done_rows[2] == 0, "a done evaluation has no score")
    return record


def scenario_redis_restart(cluster: Cluster, p: Params, workdir: Path, command: str) -> Record:
    record = Record("redis-restart", command)
    with World(cluster, "redis-restart", workdir, env={"LLM_PROVIDERS": "openai,offline"}) as world:
        world.configure_breakers(("llm.openai",))
        world.start()
        record.load = load_lines(p, world, "; LLM_PROVIDERS=openai,offline (breakers in use)")
        deadline = p.ramp + p.warm + p.outage + p.question_count() * (p.think_max + 5) + 120
        run, thread = start_candidates(world, p, deadline)
        t0 = time.monotonic()
        fault_at = t0 + p.ramp + p.warm
        sleep_until(fault_at)
        pids = world.pids()
        world.redis.kill()
        down_at = time.monotonic()
        # With the channel layer down no socket lives long enough to ask the LLM, so probe the
        # breaker store the way an operator does: /health/circuit-breakers/ on each process.
        time.sleep(min(1.0, p.outage / 3))
        probe_started = time.monotonic()
        during_views = {port: world.breakers(port) for port in world.topology.web_ports}
        probe_s = time.monotonic() - probe_started
        sleep_until(down_at + p.outage)
        world.redis.start()
        restore_at = time.monotonic()
        record.faults.append(
            f"redis-server SIGKILLed {p.ramp + p.warm:g} s in (no persistence: every key, queue"
            f" and channel is gone) and started again {restore_at - down_at:.1f} s later"
        )
        port = world.topology.web_ports[0]
        result = finish_candidates(run, thread, deadline + 60)
        record.checked = audit(world, result)
        record.checked.update(evaluations(world, 180))
        common_checks(record, p, result, world)
        back, n = recovered_after(result, restore_at)
        record.recovery["Redis back → every interviewing candidate progressing"] = (
            f"{back:.1f} s ({n} candidates)"
        )
        unavailable = world.metric(port, "resilience_breaker_store_unavailable_total")
        fallback = world.metric(port, "resilience_breaker_store_fallback_calls_total")
        record.recovery["breaker store: outages noticed / calls served locally"] = (
            f"{unavailable:g} / {fallback:g}"
        )
        seen = {
            port: (v.get("llm.openai", {}).get("state"), v.get("llm.openai", {}).get("readable"))
            for port, v in during_views.items()
        }
        record.recovery["breaker state while Redis was down (state, readable) per web"] = (
            f"{seen}, both answered in {probe_s:.2f} s"
        )
        # The health view reports what it cannot read ("unknown", not readable) and must
        # answer at once; guarded calls meanwhile fail open to local state (the counters
        # above; with every socket riding on the same Redis, few calls happen while it is down).
        record.expect(
            all(readable is False for _, readable in seen.values()) and probe_s < 5,
            f"the breaker health view did not report the store outage promptly: {seen}",
        )
        keys = list(redis.Redis.from_url(world.redis.url(3)).scan_iter("*breaker*"))
        record.recovery["breaker store: shared state in Redis again"] = f"{len(keys)} keys"
        record.expect(bool(keys), "the breakers never wrote their state to Redis again")
        views = {port: world.breakers(port) for port in world.topology.web_ports}
        readable = all(v.get("llm.openai", {}).get("readable") for v in views.values())
        record.expect(readable, f"breaker state not readable after the restart: {views}")
        record.recovery["breaker state after Redis came back (state, readable) per web"] = str(
            {
                port: (
                    v.get("llm.openai", {}).get("state"),
                    v.get("llm.openai", {}).get("readable"),
                )
                for port, v in views.items()
            }
        )
        after = world.sql(
            "SELECT count(*) FROM interviews_evaluation WHERE status = 'done' AND finished_at >"
            " now() - make_interval(secs => %s)",
            time.monotonic() - restore_at,
        )[0][0]
        record.recovery["evaluations done after Redis came back (Celery reconnected)"] = str(after)
        record.expect(after > 0, "no evaluation ran after Redis came back")
        record.expect(world.pids() == pids, "a web or worker process was restarted")
        record.figures.append(wait_line("answer → next turn before", waits(result, 0, fault_at)))
        record.figures.append(
            wait_line(
                "answer → next turn, answers sent while Redis was down",
                waits(result, down_at, restore_at),
            )
        )
        record.figures.append(
            wait_line("answer → next turn after", waits(result, restore_at + 5, 1e18))
        )
    return record


def scenario_postgres_restart(cluster: Cluster, p: Params, workdir: Path, command: str) -> Record:
    record = Record("postgres-restart", command)
    assert cluster.pg is not None
    with World(cluster, "postgres-restart", workdir) as world:
        world.start()
        record.load = load_lines(p, world, "; LLM_PROVIDERS=offline")
        deadline = p.ramp + p.warm + p.outage + p.question_count() * (p.think_max + 5) + 120
        run, thread = start_candidates(world, p, deadline)
        t0 = time.monotonic()
        fault_at = t0 + p.ramp + p.warm
        sleep_until(fault_at)
        pids = world.pids()
        cluster.pg.stop()  # fast shutdown: every connection is cut
        down_at = time.monotonic()
        sleep_until(down_at + p.outage)
        cluster.pg.start()
        restore_at = time.monotonic()
        record.faults.append(
            f"PostgreSQL fast shutdown {p.ramp + p.warm:g} s in, started again"
            f" {restore_at - down_at:.1f} s later (same data)"
        )
        result = finish_candidates(run, thread, deadline + 60)
        record.checked = audit(world, result)
        record.checked.update(evaluations(world, 180))
        common_checks(record, p, result, world)
        retryable = {k: v for k, v in result["faults"].items() if "retryable" in k}
        record.figures.append(f"retryable error frames seen by candidates: {retryable}")
        back, n = recovered_after(result, restore_at)
        record.recovery["PostgreSQL back → every interviewing candidate progressing"] = (
            f"{back:.1f} s ({n} candidates)"
        )
        record.expect(world.pids() == pids, "a web or worker process was restarted")
        record.recovery["web and worker processes restarted"] = (
            "none (same pids)" if world.pids() == pids else "SOME"
        )
        record.figures.append(
            wait_line(
                "answer → next turn, answers sent while PostgreSQL was down",
                waits(result, down_at, restore_at),
            )
        )
        record.figures.append(
            wait_line("answer → next turn after", waits(result, restore_at + 5, 1e18))
        )
    return record


def scenario_storm(cluster: Cluster, p: Params, workdir: Path, command: str) -> Record:
    record = Record("storm", command)
    with World(cluster, "storm", workdir) as world:
        world.start()
        record.load = load_lines(p, world, "; LLM_PROVIDERS=offline")
        deadline = p.ramp + p.warm + p.after + p.question_count() * (p.think_max + 5) + 120
        run, thread = start_candidates(world, p, deadline)
        t0 = time.monotonic()
        fault_at = t0 + p.ramp + p.warm
        sleep_until(fault_at)
        dropped = run.drop_all()
        fired = time.monotonic()
        record.faults.append(
            f"{dropped} sockets aborted at once (TCP abort, no close handshake),"
            f" {p.ramp + p.warm:g} s in; answers in flight lose their ack"
        )
        result = finish_candidates(run, thread, deadline + 60)
        record.checked = audit(world, result)
        record.checked.update(evaluations(world, 180))
        common_checks(record, p, result, world)
        resumed = []
        for r in result["extra"]["records"]:
            welcomes = [t for t, what in r["events"] if what == "welcome" and t >= fired]
            if welcomes:
                resumed.append(welcomes[0] - fired)
        record.checked["candidates resumed after the drop"] = len(resumed)
        record.expect(len(resumed) >= dropped, f"{len(resumed)} of {dropped} resumed")
        record.recovery["drop → last candidate resumed (welcome)"] = (
            f"{max(resumed, default=0):.2f} s (p50 {pct(resumed, 0.5):.2f} s)"
        )
        record.figures.append(
            wait_line("answer → next turn before the drop", waits(result, 0, fired))
        )
        for start in range(0, int(p.after), 5):
            record.figures.append(
                wait_line(
                    f"answer → next turn, sent {start}-{start + 5} s after the drop",
                    waits(result, fired + start, fired + start + 5),
                )
            )
    return record


RUNNERS: dict[str, Callable[[Cluster, Params, Path, str], Record]] = {
    "llm-down": scenario_llm_down,
    "llm-slow": scenario_llm_slow,
    "worker-kill": scenario_worker_kill,
    "redis-restart": scenario_redis_restart,
    "postgres-restart": scenario_postgres_restart,
    "storm": scenario_storm,
}
# Each scenario's sizes when not given on the command line (the where it names them).
DEFAULTS: dict[str, dict[str, Any]] = {
    # `after` outlasts the longest open period a 60 s outage leads to (10, 20, then 40 s), so
    # the breakers get their trial while candidates are still interviewing.
    "llm-down": {"interviews": 50, "outage": 60.0, "after": 50.0},
    "llm-slow": {"interviews": 20, "outage": 60.0, "after": 50.0},
    "worker-kill": {"interviews": 50, "questions": 3, "kills": 2},
    "redis-restart": {"interviews": 50, "outage": 10.0},
    "postgres-restart": {"interviews": 50, "outage": 10.0},
    "storm": {"interviews": 50, "outage": 0.0, "after": 20.0},
}


@contextlib.contextmanager
def chaos_cluster(workdir: Path) -> Iterator[Cluster]:
    with Cluster(workdir) as cluster:
        yield cluster


def run_scenario(
    cluster: Cluster, name: str, workdir: Path, command: str = "", **overrides: Any
) -> Record:
    values = {**DEFAULTS[name], **{k: v for k, v in overrides.items() if v is not None}}
    params = Params(**values)
    started = time.monotonic()
    record = RUNNERS[name](cluster, params, workdir, command or f"bench/chaos.py {name}")
    record.wall_s = time.monotonic() - started
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("scenarios", nargs="*", help=f"any of {', '.join(SCENARIOS)} (all)")
    parser.add_argument("--interviews", type=int)
    parser.add_argument("--outage", type=float, help="seconds the fault lasts")
    parser.add_argument("--warm", type=float, help="seconds of healthy load first (20)")
    parser.add_argument("--questions", type=int, help="per interview (0: outlast the fault)")
    parser.add_argument("--kills", type=int, help="worker-kill: workers killed (2)")
    parser.add_argument("--latency-ms", type=float, help="llm-slow: the LLM's delay (4000)")
    parser.add_argument("--llm-timeout", type=float, help="LLM_TIMEOUT_SECONDS (15)")
    parser.add_argument("--fault", choices=("error500", "drop", "hang", "rate_limit", "malformed"))
    parser.add_argument("--json", type=Path, help="also write the records as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the logs directory")
    args = parser.parse_args(argv)
    names = args.scenarios or list(SCENARIOS)
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
    overrides = {
        "interviews": args.interviews,
        "outage": args.outage,
        "warm": args.warm,
        "questions": args.questions,
        "kills": args.kills,
        "latency_ms": args.latency_ms,
        "llm_timeout": args.llm_timeout,
        "fault": args.fault,
    }
    infra.raise_nofile(8192)
    workdir = Path(tempfile.mkdtemp(prefix="chaos-"))
    records: list[Record] = []
    command = ".venv/bin/python bench/chaos.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(f"chaos run: {', '.join(names)}; logs in {workdir}", flush=True)
    with chaos_cluster(workdir) as cluster:
        for name in names:
            print(f"--- {name} (load average {infra.load1():.2f}) ...", flush=True)
            try:
                record = run_scenario(cluster, name, workdir, command, **overrides)
            except Exception as exc:  # a scenario that crashes is a failed scenario
                record = Record(name, command, problems=[f"crashed: {type(exc).__name__}: {exc}"])
            records.append(record)
            print(record.text(), flush=True)
    if args.json:
        args.json.write_text(json.dumps([r.as_dict() for r in records], indent=1, default=str))
    if not args.keep and all(r.ok for r in records):
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    print(
        "\nsummary: "
        + ", ".join(f"{r.scenario} {'PASS' if r.ok else 'FAIL'} (lost {r.lost})" for r in records)
    )
    return 0 if all(r.ok for r in records) else 1


if __name__ == "__main__":
    raise SystemExit(main())
