"""Load test of the candidate WebSocket on the production engines: uvicorn, PostgreSQL, Redis.

    .venv/bin/python bench/ws_load.py --mode steady --clients 500 --duration 60 --workers 2
    .venv/bin/python bench/ws_load.py --mode storm --clients 200 --duration 40
    .venv/bin/python bench/ws_load.py --mode idle --clients 2000 --hold 45
    .venv/bin/python bench/ws_load.py --mode cycles --cycles 1000
    .venv/bin/python bench/ws_load.py --mode llm-faults --clients 20 --duration 90

Standalone and loopback only. It creates a fresh PostgreSQL database (`--database`, default
interviewsite_bench), migrates it with `manage.py migrate`, creates the interviews in process
through `interview_create`, starts uvicorn (`--workers`, `--ws-max-size 65536`) and, for steady,
storm and llm-faults, a Celery worker (broker on Redis DB 10), with LLM_PROVIDERS=offline except
in llm-faults, then drives
simulated candidates (the `websockets` client, one asyncio loop per client process) and prints
the figures. Every process it started is stopped by pid and the database is dropped at the end.

Modes:
  steady  N candidates, each taking interviews back to back for --duration seconds, answering
          after a think time (default 2-4 s): connect time, answer → next question latency,
          errors, throughput, server RSS per connection, CPU by component.
  storm   N candidates mid-interview; at --storm-at every client drops its socket at once
          (those thinking first send their answer, so answers are in flight), then resumes with
          hello + last_seq and re-sends any unacknowledged answer with the same client_msg_id:
          time until all are resumed, latency before/after, and the database checked for lost
          or duplicated answers.
  idle    M sockets on ONE uvicorn process that only send `ping` every WS_PING_INTERVAL: RSS
          per socket.
  cycles  connect/hello/disconnect cycles, one at a time (or --concurrency at a time): Redis
          client connections and the uvicorn process's RSS every 100 cycles (they must stay
          flat).
  llm-faults  steady load with LLM_PROVIDERS=openai,offline against `manage.py fake_llm`:
          healthy, then --llm-fault, then healthy again, a third of --duration each.
"""

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import math
import multiprocessing as mp
import os
import platform
import queue
import random
import secrets
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project, for Django
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the bench's helper modules

import _ws_clients as clients  # noqa: E402
import _ws_stack as infra  # noqa: E402

MODES = ("steady", "storm", "idle", "cycles", "llm-faults")
DEFAULT_CLIENTS = {"steady": 500, "storm": 200, "idle": 2000, "cycles": 1, "llm-faults": 50}
DEFAULT_QUESTIONS = {"steady": 3, "storm": 50, "idle": 5, "cycles": 5, "llm-faults": 3}
FAKE_FAULTS = ("hang", "error500", "rate_limit", "malformed", "drop")
Result = dict[str, Any]
CALIBRATION = 6  # steady: interviews answered by one candidate alone before the load


# --- arguments -----------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--mode", choices=MODES, default="steady")
    p.add_argument(
        "--clients",
        type=int,
        help="candidates (steady 500, storm 200, llm-faults 50), sockets (idle 2000)",
    )
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load after the ramp")
    p.add_argument("--ramp", type=float, default=5.0, help="seconds over which clients start")
    p.add_argument("--workers", type=int, help="uvicorn workers (default 2; idle and cycles: 1)")
    p.add_argument("--think-min", type=float, default=2.0)
    p.add_argument("--think-max", type=float, default=4.0)
    p.add_argument("--questions", type=int, help="questions per interview (steady 3, storm 50)")
    p.add_argument("--timeout", type=float, default=15.0, help="longest wait for any frame")
    p.add_argument("--client-procs", type=int, default=1, help="client processes (event loops)")
    p.add_argument("--storm-at", type=float, help="storm: seconds after the ramp (duration/2)")
    p.add_argument("--hold", type=float, default=45.0, help="idle: seconds to hold the sockets")
    p.add_argument("--open-concurrency", type=int, default=100, help="idle: handshakes at once")
    p.add_argument("--cycles", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=1, help="cycles: cycles at a time")
    p.add_argument("--llm-fault", choices=FAKE_FAULTS, default="hang", help="llm-faults: fault")
    p.add_argument("--llm-latency-ms", type=float, default=200.0, help="llm-faults: LLM latency")
    p.add_argument("--llm-timeout", type=float, default=5.0, help="llm-faults: LLM_TIMEOUT_SECONDS")
    p.add_argument("--no-worker", action="store_true", help="no Celery worker: evaluations queue")
    p.add_argument("--no-deflate", action="store_true", help="clients refuse permessage-deflate")
    p.add_argument("--db-conn-max-age", type=int, help="DB_CONN_MAX_AGE for the servers")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="server env")
    p.add_argument("--database", default="interviewsite_bench")
    p.add_argument("--keep-database", action="store_true")
    p.add_argument("--wait-load", type=float, help="first wait (<= 15 min) for load1 below this")
    p.add_argument("--json", type=Path, help="also write every figure as JSON here")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    args.clients = args.clients or DEFAULT_CLIENTS[args.mode]
    args.questions = args.questions or DEFAULT_QUESTIONS[args.mode]
    args.workers = args.workers or (1 if args.mode in ("idle", "cycles") else 2)
    if args.mode == "idle" and args.workers != 1:
        p.error("idle measures ONE uvicorn process: --workers 1")
    if not 0 < args.think_min <= args.think_max:
        p.error("need 0 < --think-min <= --think-max")
    if not 1 <= args.questions <= 50:
        p.error("--questions must be between 1 and 50")
    return args


def wait_for_load(limit: float, most: float = 900, every: float = 30) -> None:
    deadline = time.monotonic() + most
    while (load := infra.load1()) >= limit and time.monotonic() < deadline:
        print(f"load average {load:.2f} >= {limit}; waiting {every:.0f} s", flush=True)
        time.sleep(every)
    print(f"load average {infra.load1():.2f}: starting", flush=True)


# --- Django, in this process, on the bench database ---------------------------------------------
def bench_env(args: argparse.Namespace, var_dir: Path, fake_port: int) -> dict[str, str]:
    skip = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "VAR_DIR", "PROMETHEUS_MULTIPROC_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(
        DJANGO_SETTINGS_MODULE="interviewsite.settings",
        PYTHONUNBUFFERED="1",
        DATABASE_URL=infra.database_url(args.database),
        REDIS_URL=infra.REDIS_URL,
        CELERY_BROKER_URL=infra.BROKER_URL,
        SECRET_KEY="bench-only-" + secrets.token_urlsafe(32),
        DEBUG="false",
        LLM_PROVIDERS="offline",
        LOG_LEVEL="WARNING",
        VAR_DIR=str(var_dir),
        PROMETHEUS_MULTIPROC_DIR=str(var_dir / "prometheus"),
    )
    if args.mode == "llm-faults":
        env.update(
            LLM_PROVIDERS="openai,offline",
            OPENAI_BASE_URL=f"http://127.0.0.1:{fake_port}/v1",
            OPENAI_API_KEY="bench",
            LLM_TIMEOUT_SECONDS=str(args.llm_timeout),
            # Breaker state in the bench database: the Redis store's DB is shared with others.
            BREAKER_STORE="resilience.breakers.stores.database.DatabaseStore",
        )
    if args.db_conn_max_age is not None:
        env["DB_CONN_MAX_AGE"] = str(args.db_conn_max_age)
    for item in args.env:
        key, _, value = item.partition("=")
        env[key] = value
    return env


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def create_interviews(count: int, questions: int, seed: int) -> list[str]:
    """`count` interviews through the service; returns their WebSocket paths."""
    from django.db import connections, transaction

    from interviews.llm.offline import TOPICS
    from interviews.services.interviews import interview_create

    rng = random.Random(seed)
    paths: list[str] = []
    for start in range(0, count, 500):
        with transaction.atomic():
            for i in range(start, min(count, start + 500)):
                created = interview_create(
                    candidate_name=f"Bench candidate {i}",
                    role="Backend engineer",
                    topic=rng.choice(TOPICS),
                    difficulty=rng.choice(("easy", "medium", "hard")),
                    question_count=questions,
                )
                paths.append(created.ws_path)
    connections.close_all()
    return paths


def evaluation_counts() -> dict[str, int]:
    from django.db import connections
    from django.db.models import Count

    from interviews.models import Evaluation

    rows = Evaluation.objects.values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    connections.close_all()
    return counts


def room_of(url: str) -> str:
    return url.split("/ws/interviews/", 1)[1].split("/", 1)[0]


def verify_answers(records: list[Result]) -> Result:
    """Each interview's answers in the database against what its client sent and saw acked."""
    from django.db import connections

    from interviews.models import Turn, TurnKind

    by_room = {room_of(r["url"]): r for r in records}
    turns: dict[str, list[tuple[int, str, str]]] = {room: [] for room in by_room}
    rows = (
        Turn.objects.filter(interview__room_id__in=list(by_room))
        .order_by("interview_id", "seq")
        .values_list("interview__room_id", "seq", "kind", "client_msg_id")
    )
    for room, seq, kind, msg_id in rows:
        turns[room].append((seq, kind, str(msg_id) if msg_id else ""))
    connections.close_all()
    total: Counter[str] = Counter()
    for room, record in by_room.items():
        events = turns[room]
        sent, acked = set(record.get("sent", ())), set(record.get("acked", ()))
        stored = [m for _, kind, m in events if kind == TurnKind.ANSWER]
        stored_set = set(stored)
        kinds = [kind for _, kind, _ in events]
        total["interviews"] += 1
        total["answers sent (distinct client_msg_id)"] += len(sent)
        total["answers acked"] += len(acked)
        total["answers stored"] += len(stored)
        total["lost (acked, not stored)"] += len(acked - stored_set)
        total["lost (sent, never acked nor stored)"] += len(sent - acked - stored_set)
        total["stored, ack never seen"] += len((sent - acked) & stored_set)
        total["duplicated (same client_msg_id twice)"] += len(stored) - len(stored_set)
        total["duplicated (two answers to one question)"] += sum(
            1 for a, b in itertools.pairwise(kinds) if a == b == TurnKind.ANSWER
        )
        total["stored but never sent"] += len(stored_set - sent)
        total["interviews with a seq gap"] += [s for s, _, _ in events] != list(
            range(1, len(events) + 1)
        )
        total["client last_seq != stored last seq"] += (
            bool(events) and record.get("last_seq") != events[-1][0]
        )
    return dict(total)


# --- client processes ---------------------------------------------------------------------------
def _shard_main(
    out: "mp.Queue[tuple[str, int, Any]]", index: int, target: Callable[[], Result]
) -> None:
    try:
        out.put(("result", index, target()))
    except BaseException:
        out.put(("failed", index, traceback.format_exc()))


class Shards:
    """Client processes (forked: targets need not pickle) reporting through one queue."""

    def __init__(self) -> None:
        self.ctx = mp.get_context("fork")
        self.queue: mp.Queue[tuple[str, int, Any]] = self.ctx.Queue()
        self.release = self.ctx.Event()
        self.procs: list[BaseProcess] = []

    def start(self, targets: Sequence[Callable[[], Result]]) -> None:
        for i, target in enumerate(targets):
            proc = self.ctx.Process(target=_shard_main, args=(self.queue, i, target), daemon=True)
            proc.start()
            self.procs.append(proc)

    def opened_callback(self, index: int) -> Callable[[int], None]:
        return lambda count: self.queue.put(("opened", index, count))

    def collect(
        self,
        deadline: float,
        tick: Callable[[], None],
        on_message: Callable[[str, int, Any], None] | None = None,
    ) -> list[Result]:
        results: dict[int, Result] = {}
        while len(results) < len(self.procs):
            if time.monotonic() > deadline:
                raise TimeoutError("client processes did not finish in time")
            try:
                kind, index, payload = self.queue.get(timeout=0.25)
            except queue.Empty:
                tick()
                dead = [
                    p for i, p in enumerate(self.procs) if i not in results and not p.is_alive()
                ]
                if dead and self.queue.empty():
                    time.sleep(0.5)
                    if self.queue.empty():
                        raise RuntimeError(
                            f"client process died: exit {dead[0].exitcode}"
                        ) from None
                continue
            if kind == "result":
                results[index] = payload
            elif kind == "failed":
                raise RuntimeError(f"client process {index} failed:\n{payload}")
            elif on_message is not None:
                on_message(kind, index, payload)
            tick()
        for proc in self.procs:
            proc.join(timeout=10)
        return [results[i] for i in range(len(self.procs))]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=5)


def merge(results: list[Result]) -> Result:
    merged: Result = {"extra": [r["extra"] for r in results], "shards": len(results)}
    for result in results:
        for key, value in result.items():
            if key == "extra":
                continue
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif isinstance(value, dict):
                bucket = merged.setdefault(key, Counter())
                bucket.update(value)
            elif key == "wall_s":
                merged[key] = max(merged.get(key, 0.0), value)
            else:
                merged[key] = merged.get(key, 0) + value
    merged["errors"] = dict(merged.get("errors", {}))
    return merged


# --- figures -----------------------------------------------------------------------------------
def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def dist(name: str, values: list[float], unit: str = "ms") -> str:
    if not values:
        return f"  {name:<44} (no samples)"
    parts = "  ".join(
        f"{label} {pct(values, q):8.1f}"
        for label, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    )
    return f"  {name:<44} {parts}  max {max(values):8.1f} {unit}  (n={len(values)})"


@dataclass
class Report:
    title: str
    lines: list[str] = field(default_factory=list)
    figures: Result = field(default_factory=dict)

    def add(self, line: str = "") -> None:
        self.lines.append(line)

    def section(self, name: str) -> None:
        self.lines.extend(["", name])

    def text(self) -> str:
        return "\n".join([self.title, *self.lines])


def client_health(report: Report, merged: Result, procs: int) -> None:
    lag = merged.get("loop_lag_ms", [])
    cpu = merged.get("cpu_s", 0.0) / max(merged.get("wall_s", 1.0), 1e-9)
    report.section(f"Bench client ({procs} process(es), one event loop each)")
    report.add(f"  client CPU {cpu:.2f} cores over the run ({cpu / procs:.0%} of a core per loop)")
    report.add(dist("client event-loop lag (50 ms timer)", lag))
    if lag and (pct(lag, 0.99) > 20 or cpu / procs > 0.8):
        report.add(
            "  WARNING: the client loop is saturated; its lag inflates the latencies above"
            " (try --client-procs 2)"
        )
    report.figures["client"] = {"cpu_cores": cpu, "lag_p99_ms": pct(lag, 0.99) if lag else None}


def errors_block(report: Report, merged: Result) -> None:
    errors = merged.get("errors", {})
    report.add(f"  errors: {sum(errors.values())} " + (json.dumps(errors) if errors else ""))
    for sample in merged.get("samples", [])[:5]:
        report.add(f"    e.g. {sample}")
    report.figures["errors"] = errors


def server_block(report: Report, run: "Run", cpu: dict[str, float] | None) -> None:
    series = run.sampler.series
    report.section("Server side (sampled every second)")
    if series:
        pg_bench = max(s["pg_bench"] for s in series)
        pg_total = max(s["pg_total"] for s in series)
        clients_min = min(s["redis_clients"] for s in series)
        clients_max = max(s["redis_clients"] for s in series)
        own = max(s["server_redis"] for s in series)
        report.add(
            f"  PostgreSQL connections to the bench database: max {pg_bench}; client connections"
            f" to the server (all databases): max {pg_total} of max_connections"
            f" {run.probe.max_connections()}"
        )
        report.add(
            f"  Redis connected_clients (whole server): min {clients_min}, max {clients_max};"
            f" uvicorn's own Redis connections: max {own}"
        )
        peak = max(series, key=lambda s: sum(s["sockets"]))
        report.add(f"  uvicorn worker RSS at peak sockets {peak['sockets']}: {peak['rss_kib']} KiB")
    if cpu:
        report.add(f"  CPU used, in cores ({os.cpu_count()} on the machine):")
        for name, cores in cpu.items():
            report.add(f"    {name:<44} {cores:5.2f}")
        report.figures["cpu_cores"] = cpu
    problems = [line for proc in run.stack.procs for line in proc.problems()]
    report.add(f"  ERROR lines in server logs: {len(problems)}")
    for line in list(dict.fromkeys(problems))[:6]:
        report.add(f"    {line[:240]}")
    report.figures["server_log_errors"] = len(problems)
    report.figures["series"] = series


# --- the run -------------------------------------------------------------------------------------
@dataclass
class Run:
    args: argparse.Namespace
    stack: infra.Stack
    server: infra.Server
    probe: infra.Probe
    sampler: infra.Sampler
    urls: list[str]
    celery: infra.Proc | None
    fake_port: int = 0

    @property
    def timing(self) -> clients.Timing:
        a = self.args
        timeout = a.timeout
        if a.mode == "llm-faults":  # one turn may wait out LLM_TIMEOUT_SECONDS more than once
            timeout = max(timeout, 3 * a.llm_timeout + 10)
        return clients.Timing(a.think_min, a.think_max, timeout, deflate=not a.no_deflate)

    def cpu_meter(self) -> infra.CpuMeter:
        parts = {
            "uvicorn": infra.tree_pids(self.server.proc.pid),
            "redis": [self.probe.redis_pid()],
        }
        if self.celery is not None:
            parts["celery"] = infra.tree_pids(self.celery.pid)
        meter = infra.CpuMeter(parts, self.probe.pg_backend_pids(), self.server.worker_pids())
        self.sampler.cpu = meter
        return meter

    def split(self, items: list[Any]) -> list[list[Any]]:
        n = max(1, self.args.client_procs)
        return [items[i::n] for i in range(n)]


def interviews_needed(args: argparse.Namespace) -> int:
    if args.mode in ("steady", "llm-faults"):
        per_client = math.ceil(args.duration / (args.questions * args.think_min)) + 1
        return args.clients * per_client + CALIBRATION
    if args.mode == "cycles":
        return max(20, args.concurrency)
    return args.clients


def warm_up(run: Run, paths: list[str]) -> None:
    """A few concurrent connect/hello/disconnect cycles so every worker has imported, connected
    to PostgreSQL and Redis and filled its caches before anything is measured."""
    tally = clients.Tally()
    rng = random.Random(0)
    cands = [clients.Candidate(run_url(run, p), run.timing, tally, rng) for p in paths]

    async def go() -> None:
        for _ in range(2):
            await asyncio.gather(*(clients.cycle_once(c) for c in cands), return_exceptions=True)

    asyncio.run(go())
    if tally.errors:
        print(f"warm-up errors: {dict(tally.errors)} {tally.samples[:3]}", file=sys.stderr)


def run_url(run: Run, path: str) -> str:
    return f"ws://127.0.0.1:{run.server.port}{path}"


def calibrate(run: Run, urls: list[str]) -> list[float]:
    """One candidate alone, answering at once: the server's answer → next turn time unloaded."""
    tally = clients.Tally()
    timing = clients.Timing(0.0, 0.0, run.args.timeout, thin_share=0.25)

    async def go() -> None:
        for url in urls:
            cand = clients.Candidate(url, timing, tally, random.Random(7))
            await cand.open()
            await cand.converse(time.monotonic() + 120)
            await cand.close()

    asyncio.run(go())
    return [ms for _, ms, _ in tally.latencies]


def mode_steady(run: Run, report: Report) -> None:
    a = run.args
    per = (len(run.urls) - CALIBRATION) // a.clients
    alone = calibrate(run, run.urls[-CALIBRATION:])
    plan = [run.urls[i * per : (i + 1) * per] for i in range(a.clients)]
    before = run.sampler.snap("before")
    cpu = run.cpu_meter()
    shards = Shards()
    targets = [
        functools.partial(
            clients.run_steady, part, a.ramp, a.duration, run.timing, a.seed + 10**6 * i
        )
        for i, part in enumerate(run.split(plan))
    ]
    try:
        shards.start(targets)
        results = shards.collect(
            time.monotonic() + a.ramp + a.duration + 4 * a.timeout + 60, run.sampler.tick
        )
    finally:
        shards.stop()
    merged = merge(results)
    usage = cpu.stop(run.probe.pg_backend_pids(), merged["cpu_s"])
    run.sampler.snap("after")
    window = a.ramp + a.duration
    lat = [ms for _, ms, _ in merged["latencies"]]
    report.section(
        f"Steady load: {a.clients} candidates for {a.ramp:.0f} s ramp + {a.duration:.0f} s"
    )
    report.add(dist("connect: TCP + WebSocket handshake", merged["handshake_ms"]))
    report.add(dist("connect → welcome (hello answered)", merged["welcome_ms"]))
    report.add(dist("answer → next question/follow-up/completed", lat))
    report.add(dist("  the same, one candidate alone before the run", alone))
    errors_block(report, merged)
    report.add(
        f"  throughput: {merged['answers_acked'] / window:.1f} answers/s acked"
        f" ({merged['answers_sent']} sent, {merged['answers_acked']} acked),"
        f" {merged['interviews_completed'] / window:.2f} interviews/s completed"
        f" ({merged['interviews_completed']}),"
        f" {merged['frames_in'] / window:.0f} frames/s to clients"
    )
    if merged.get("out_of_interviews"):
        report.add(f"  {merged['out_of_interviews']} candidates ran out of interviews early")
    series = run.sampler.series
    peak = max(series, key=lambda s: sum(s["sockets"]))
    grown = sum(peak["rss_kib"]) - sum(before["rss_kib"])
    report.add(
        f"  server RSS: {sum(before['rss_kib']) / 1024:.1f} MiB before, "
        f"{sum(peak['rss_kib']) / 1024:.1f} MiB at {sum(peak['sockets'])} open sockets"
        f" ({peak['sockets']} per worker) → {grown / max(1, sum(peak['sockets'])):.1f} KiB per"
        " connection (includes per-interview caches; see --mode idle)"
    )
    answers_s = merged["answers_acked"] / window
    offered = a.clients / ((a.think_min + a.think_max) / 2)
    report.add(
        f"  offered load ≈ {offered:.0f} answers/s ({a.clients} candidates / mean think"
        f" {(a.think_min + a.think_max) / 2:.1f} s); served {answers_s:.1f} answers/s"
    )
    if answers_s:
        keys = {
            "uvicorn": "uvicorn",
            "  of which uvicorn event loops": "event loops",
            "  of which uvicorn other threads (sync/DB)": "sync/DB threads",
            "postgres": "postgres",
            "redis": "redis",
        }
        per = ", ".join(f"{short} {usage[k] / answers_s * 1000:.1f}" for k, short in keys.items())
        report.add(f"  server CPU per answer served (ms): {per}")
    evaluations(run, report)
    client_health(report, merged, len(targets))
    server_block(report, run, usage)
    p99 = pct(lat, 0.99) if lat else None
    report.figures.update(
        latency_ms={"p50": pct(lat, 0.5), "p95": pct(lat, 0.95), "p99": p99} if lat else {},
        connect_ms=pct(merged["welcome_ms"], 0.99) if merged["welcome_ms"] else None,
        answers_per_s=merged["answers_acked"] / window,
    )
    goal = "met" if p99 is not None and p99 <= 100 and not merged["errors"] else "NOT met"
    report.add("")
    report.add(f"Goal: answer → next question p99 <= 100 ms with 0 errors at {a.clients}: {goal}")


def evaluations(run: Run, report: Report) -> None:
    if run.celery is None:
        depth = run.probe.queue_depth()
        report.add(f"  evaluations: no Celery worker; {depth} queued, {evaluation_counts()}")
        return
    depth0 = run.probe.queue_depth()
    counts0 = evaluation_counts()
    deadline = time.monotonic() + 60
    while run.probe.queue_depth() and time.monotonic() < deadline:
        time.sleep(1)
    drained = 60 - max(0.0, deadline - time.monotonic())
    report.add(
        f"  evaluations (1 Celery worker, concurrency 1): at the end {depth0} queued, {counts0};"
        f" queue {'empty' if not run.probe.queue_depth() else 'NOT empty'} {drained:.0f} s later,"
        f" {evaluation_counts()}"
    )


def mode_storm(run: Run, report: Report) -> None:
    a = run.args
    storm_after = a.storm_at if a.storm_at is not None else a.duration / 2
    run.sampler.snap("before")
    cpu = run.cpu_meter()
    t0 = time.monotonic()
    storm_at, until = t0 + a.ramp + storm_after, t0 + a.ramp + a.duration
    shards = Shards()
    urls = run.urls
    targets = [
        functools.partial(clients.run_storm, part, a.ramp, storm_at, until, run.timing, a.seed + i)
        for i, part in enumerate(run.split(urls))
    ]
    try:
        shards.start(targets)
        results = shards.collect(until + 6 * a.timeout + 60, run.sampler.tick)
    finally:
        shards.stop()
    merged = merge(results)
    usage = cpu.stop(run.probe.pg_backend_pids(), merged["cpu_s"])
    run.sampler.snap("after")
    records = [r for extra in merged["extra"] for r in extra["records"]]
    fired = min(extra["fired_at"] for extra in merged["extra"])
    resumed = [r["resumed_at"] - fired for r in records if "resumed_at" in r]
    all_back = max(resumed) if resumed else float("nan")
    lat = merged["latencies"]
    before = [ms for _, ms, phase in lat if phase == "before"]
    after = [ms for _, ms, phase in lat if phase == "after"]
    settled = [ms for sent, ms, phase in lat if phase == "after" and sent >= fired + all_back]
    faults = dict(merged["faults"])
    checked = verify_answers(records)
    report.section(
        f"Reconnect storm: {a.clients} candidates, all sockets dropped at once"
        f" {a.ramp + storm_after:.0f} s in, run {a.ramp + a.duration:.0f} s"
    )
    drops = [r["dropped_at"] - fired for r in records if r.get("dropped_at")]
    report.add(
        f"  faults injected: {len(drops)} sockets aborted (no close handshake), all within"
        f" {max(drops, default=0) * 1000:.0f} ms of the signal; one fault per candidate:"
    )
    for fault, count in sorted(faults.items()):
        report.add(f"    {fault:<52} {count}")
    report.add(
        f"  resumed (welcome received): {len(resumed)} of {len(records)};"
        f" all resumed {all_back * 1000:.0f} ms after the drop"
    )
    report.add(dist("time from the drop to welcome, per candidate", [x * 1000 for x in resumed]))
    report.add(dist("answer → next question, before the drop", before))
    report.add(dist("answer → next question, after resuming", after))
    report.add(dist("  … sent after every candidate had resumed", settled))
    report.add("  answer → next question by when the answer was sent (seconds after the drop):")
    width = 5.0
    for start in range(0, int(a.duration - storm_after) + 1, int(width)):
        window = [
            ms for sent, ms, _ in lat if start <= sent - fired < start + width and sent > fired
        ]
        if window:
            report.add(
                f"    {start:>3}-{start + width:<3.0f} s  p50 {pct(window, 0.5):8.1f}  p99"
                f" {pct(window, 0.99):8.1f} ms  (n={len(window)})"
            )
    report.add(
        f"  re-sent unacknowledged answers: {merged['resent']} (same client_msg_id);"
        f" acknowledged again as already stored: {merged['repeated_acks']};"
        f" acked before the drop, so not re-sent: {merged['resent_already_stored']}"
    )
    errors_block(report, merged)
    report.section(
        "Database check (every interview's answers vs what its client sent and saw acked)"
    )
    for key, value in checked.items():
        report.add(f"  {key:<48} {value}")
    lost = checked.get("lost (acked, not stored)", 0) + checked.get(
        "lost (sent, never acked nor stored)", 0
    )
    dup = checked.get("duplicated (same client_msg_id twice)", 0) + checked.get(
        "duplicated (two answers to one question)", 0
    )
    client_health(report, merged, len(targets))
    server_block(report, run, usage)
    report.figures.update(
        storm={
            "clients": a.clients,
            "resumed": len(resumed),
            "all_resumed_ms": all_back * 1000,
            "faults": faults,
            "check": checked,
            "before_p99": pct(before, 0.99) if before else None,
            "after_p99": pct(after, 0.99) if after else None,
        }
    )
    report.add("")
    verdict = "OK" if lost == 0 and dup == 0 and len(resumed) == len(records) else "FAILED"
    back = f"{len(resumed)}/{len(records)}"
    report.add(f"Storm verdict: lost {lost}, duplicated {dup}, resumed {back}: {verdict}")


def mode_idle(run: Run, report: Report) -> None:
    a = run.args
    urls = run.urls
    base = run.sampler.snap("before")
    shards = Shards()
    parts = run.split(urls)
    hard = time.monotonic() + a.hold + len(urls) * 0.05 + 4 * a.timeout + 120
    targets = [
        functools.partial(
            clients.run_idle,
            part,
            run.timing,
            max(1, a.open_concurrency // len(parts)),
            shards.opened_callback(i),
            shards.release.wait,
            hard,
            a.seed + i,
        )
        for i, part in enumerate(parts)
    ]
    state: Result = {"opened": {}, "started": time.monotonic()}

    def on_message(kind: str, index: int, count: Any) -> None:
        state["opened"][index] = count
        if len(state["opened"]) == len(parts):
            state["open"] = run.sampler.snap("all open")
            state["open_at"] = time.monotonic()
            state["hold_until"] = time.monotonic() + a.hold

    def tick() -> None:
        run.sampler.tick()
        if (
            "hold_until" in state
            and time.monotonic() >= state["hold_until"]
            and "held" not in state
        ):
            state["held"] = run.sampler.snap("held")
            shards.release.set()

    try:
        shards.start(targets)
        results = shards.collect(hard + 30, tick, on_message)
    finally:
        shards.stop()
    time.sleep(3)
    closed = run.sampler.snap("closed")
    time.sleep(27)
    later = run.sampler.snap("closed 30 s")
    merged = merge(results)
    opened = sum(state["opened"].values())
    all_open = state.get("open") or closed
    held = state.get("held") or all_open
    rss0, rss_open, rss_held = base["rss_kib"][0], all_open["rss_kib"][0], held["rss_kib"][0]
    sockets = held["sockets"][0]
    per_open = (rss_open - rss0) / max(1, opened)
    per_held = (rss_held - rss0) / max(1, sockets)
    deflate = "permessage-deflate negotiated" if not a.no_deflate else "no compression"
    report.section(
        f"Idle sockets: {len(urls)} on one uvicorn process ({deflate}), held {a.hold:.0f} s"
    )
    report.add(
        f"  opened {opened} of {len(urls)} in {max(e['open_s'] for e in merged['extra']):.1f} s"
        f" ({a.open_concurrency} handshakes at a time); server counts {sockets} established"
    )
    report.add(dist("connect: TCP + WebSocket handshake", merged["handshake_ms"]))
    report.add(dist("connect → welcome", merged["welcome_ms"]))
    hold_from = state.get("open_at", float("inf"))
    report.add(
        dist(
            "ping → pong while sockets were opening",
            [ms for t, ms in merged["pong_ms"] if t < hold_from],
        )
    )
    report.add(
        dist("ping → pong during the hold", [ms for t, ms in merged["pong_ms"] if t >= hold_from])
    )
    errors_block(report, merged)
    report.add(
        f"  uvicorn RSS: {rss0 / 1024:.1f} MiB before, {rss_open / 1024:.1f} MiB all open,"
        f" {rss_held / 1024:.1f} MiB after the hold, {closed['rss_kib'][0] / 1024:.1f} MiB 3 s"
        f" after closing them all at once, {later['rss_kib'][0] / 1024:.1f} MiB 30 s after"
    )
    report.add(
        f"  uvicorn's Redis connections: {base['server_redis']} before,"
        f" {all_open['server_redis']} all open, {held['server_redis']} after the hold,"
        f" {closed['server_redis']} 3 s after closing, {later['server_redis']} 30 s after"
    )
    report.add(
        f"  RSS per socket: {per_open:.1f} KiB when all open, {per_held:.1f} KiB after the"
        f" hold (goal <= 100 KiB)"
    )
    client_health(report, merged, len(targets))
    server_block(report, run, None)
    report.figures.update(
        idle={"sockets": sockets, "kib_per_socket": per_held, "open_kib": per_open}
    )
    report.add("")
    verdict = "met" if per_held <= 100 and sockets >= len(urls) else "NOT met"
    report.add(f"Goal: {len(urls)} idle sockets at <= 100 KiB each: {verdict} ({per_held:.1f} KiB)")


def mode_cycles(run: Run, report: Report) -> None:
    a = run.args
    urls = run.urls
    points: list[tuple[int, Result]] = []

    def sample(n: int) -> None:
        points.append((n, run.sampler.snap(f"cycle {n}")))

    started = time.monotonic()
    result = clients.run_cycles(urls, a.cycles, 100, run.timing, sample, a.concurrency)
    took = time.monotonic() - started
    at_once = "one at a time" if a.concurrency == 1 else f"{a.concurrency} at a time"
    time.sleep(2)
    settled = run.sampler.snap("2 s after")
    points.append((-1, settled))
    report.section(
        f"Connect/hello/disconnect cycles: {a.cycles}, {at_once}, over {len(urls)}"
        f" interviews, {took:.1f} s"
    )
    report.add(dist("one cycle: connect, hello → welcome", result["welcome_ms"]))
    errors_block(report, result)
    report.add(
        f"  {'cycles':>8} {'redis clients':>14} {'uvicorn→redis':>14} {'uvicorn RSS KiB':>16}"
        f" {'pg conns':>9} {'load1':>6}"
    )
    for n, s in points:
        label = str(n) if n >= 0 else "+2 s"
        report.add(
            f"  {label:>8} {s['redis_clients']:>14} {s['server_redis']:>14}"
            f" {sum(s['rss_kib']):>16} {s['pg_bench']:>9} {s['load1']:>6}"
        )
    first, last = points[0][1], settled
    # The first 100 cycles fill the pools (PostgreSQL, Redis: as many as ran at once) and the
    # caches; flat means nothing grows after that.
    warm = next((s for n, s in points if n >= 100), first)
    mid = next((s for n, s in points if n >= a.cycles // 2), first)

    def change(key: str, since: Result) -> int:
        value = last[key] - since[key] if key != "rss_kib" else sum(last[key]) - sum(since[key])
        return int(value)

    report.add(
        f"  change from cycle 0: Redis connected_clients {change('redis_clients', first):+d}"
        f" (whole server, other users included), uvicorn's Redis connections"
        f" {change('server_redis', first):+d}, RSS {change('rss_kib', first):+d} KiB"
    )
    report.add(
        f"  change from cycle 100: Redis connected_clients {change('redis_clients', warm):+d},"
        f" uvicorn's Redis connections {change('server_redis', warm):+d},"
        f" RSS {change('rss_kib', warm):+d} KiB ({change('rss_kib', mid):+d} KiB over the"
        " second half)"
    )
    server_block(report, run, None)
    flat = (
        abs(change("server_redis", warm)) <= 2
        and abs(change("redis_clients", warm)) <= 10
        and change("rss_kib", mid) <= 2048
    )
    report.figures.update(cycles={"points": points})
    report.add("")
    verdict = "met" if flat else "NOT met"
    report.add(f"Goal: flat Redis connections and RSS over {a.cycles} cycles: {verdict}")


def mode_llm_faults(run: Run, report: Report) -> None:
    """Steady load while the LLM is healthy, then faulty, then healthy again."""
    a = run.args
    phase = a.duration / 3
    per = len(run.urls) // a.clients
    plan = [run.urls[i * per : (i + 1) * per] for i in range(a.clients)]
    control = f"http://127.0.0.1:{run.fake_port}/_control"
    httpx.post(control, json={"mode": "ok", "reset_counts": True}, timeout=5).raise_for_status()
    run.sampler.snap("before")
    cpu = run.cpu_meter()
    t0 = time.monotonic()
    bounds = [t0 + a.ramp + phase, t0 + a.ramp + 2 * phase]
    switches: list[tuple[float, dict[str, Any]]] = [
        (bounds[0], {"mode": a.llm_fault}),
        (bounds[1], {"mode": "ok"}),
    ]
    counts: list[dict[str, Any]] = []

    def tick() -> None:
        run.sampler.tick()
        while switches and time.monotonic() >= switches[0][0]:
            _, body = switches.pop(0)
            counts.append(httpx.get(control, timeout=5).json())
            httpx.post(control, json=body, timeout=5).raise_for_status()

    shards = Shards()
    targets = [
        functools.partial(clients.run_steady, part, a.ramp, a.duration, run.timing, a.seed + i)
        for i, part in enumerate(run.split(plan))
    ]
    try:
        shards.start(targets)
        results = shards.collect(
            time.monotonic() + a.ramp + a.duration + 4 * run.timing.timeout + 60, tick
        )
    finally:
        shards.stop()
    counts.append(httpx.get(control, timeout=5).json())
    merged = merge(results)
    usage = cpu.stop(run.probe.pg_backend_pids(), merged["cpu_s"])
    names = ["LLM healthy", f"LLM fault: {a.llm_fault}", "LLM healthy again"]

    def phase_of(t: float) -> int:
        return sum(t >= b for b in bounds)

    report.section(
        f"LLM faults: {a.clients} candidates, LLM_PROVIDERS=openai,offline (fake LLM at"
        f" {a.llm_latency_ms:.0f} ms), LLM_TIMEOUT_SECONDS={a.llm_timeout:g}; three phases of"
        f" {phase:.0f} s after a {a.ramp:.0f} s ramp"
    )
    for i, name in enumerate(names):
        lat = [ms for sent, ms, _ in merged["latencies"] if phase_of(sent) == i]
        sources = Counter(src for at, src in merged["turns"] if phase_of(at) == i)
        calls = counts[i]["requests"] - (counts[i - 1]["requests"] if i else 0)
        report.add(f"  {name}:")
        report.add(dist("answer → next question/follow-up/completed", lat))
        report.add(f"    turns by kind:source: {dict(sources)}; LLM requests received: {calls}")
    report.add(f"  fake LLM outcomes over the run: {counts[-1].get('by_outcome')}")
    errors_block(report, merged)
    window = a.ramp + a.duration
    report.add(f"  throughput: {merged['answers_acked'] / window:.1f} answers/s acked")
    evaluations(run, report)
    client_health(report, merged, len(targets))
    server_block(report, run, usage)
    report.figures.update(llm_faults={"counts": counts})


RUNNERS: dict[str, Callable[[Run, Report], None]] = {
    "llm-faults": mode_llm_faults,
    "steady": mode_steady,
    "storm": mode_storm,
    "idle": mode_idle,
    "cycles": mode_cycles,
}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.wait_load:
        wait_for_load(args.wait_load)
    needed_fds = 2 * args.clients + 2048
    web_port = infra.free_port()
    fake_port = infra.free_port(web_port) if args.mode == "llm-faults" else 0
    nofile = infra.raise_nofile(needed_fds)
    var_dir = Path(tempfile.mkdtemp(prefix="ws-bench-"))
    (var_dir / "prometheus").mkdir()
    env = bench_env(args, var_dir, fake_port)
    load_start = infra.load1()
    report = Report(
        f"WebSocket load benchmark, mode {args.mode}: Python {platform.python_version()},"
        f" {os.cpu_count()} CPUs, uvicorn --workers {args.workers}, {args.client_procs} client"
        f" process(es), LLM_PROVIDERS=offline; load average {load_start:.2f} at start"
    )
    report.add(
        "command: .venv/bin/python bench/ws_load.py "
        + " ".join(sys.argv[1:] if argv is None else argv)
    )
    print(report.title, flush=True)
    infra.recreate_database(args.database)
    run: Run | None = None
    ok = False
    try:
        with infra.services_stack(env, var_dir, max(nofile, needed_fds)) as running:
            running.manage("migrate", "--noinput")
            infra.offset_interview_ids(args.database)
            django_setup(env)
            started = time.monotonic()
            paths = create_interviews(interviews_needed(args), args.questions, args.seed)
            warm = create_interviews(8 * args.workers, 5, args.seed + 1)
            print(
                f"created {len(paths)} interviews in {time.monotonic() - started:.1f} s", flush=True
            )
            if fake_port:
                running.fake_llm(fake_port, args.llm_latency_ms)
            server = running.uvicorn(web_port, args.workers)
            celery = None
            if args.mode in ("steady", "storm", "llm-faults") and not args.no_worker:
                celery = running.celery_worker()
            probe = infra.Probe(args.database)
            sampler = infra.Sampler(server, probe)
            run = Run(args, running, server, probe, sampler, paths, celery, fake_port)
            warm_up(run, warm)
            run.urls = [run_url(run, p) for p in paths]
            print(f"running {args.mode} ...", flush=True)
            RUNNERS[args.mode](run, report)
            report.add(f"load average at the end: {infra.load1():.2f} (at start {load_start:.2f})")
            ok = True
    finally:
        if run is not None:
            run.probe.close()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if not args.keep_database:
            infra.drop_database(args.database)
        if ok:
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            print(f"logs kept in {var_dir}", file=sys.stderr)
    print(report.text(), flush=True)
    if args.json:
        args.json.write_text(
            json.dumps({"report": report.lines, **report.figures}, indent=1, default=str)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
