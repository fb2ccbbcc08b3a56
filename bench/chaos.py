"""Chaos scenarios on the production topology, each asserting that nothing is lost.

    .venv/bin/python bench/chaos.py               # every scenario, spec-sized (`make chaos`)
    .venv/bin/python bench/chaos.py llm-down --interviews 10 --outage 15

Topology (harness/stack.py, `start_topology`): two uvicorn processes on two ports (each
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
recovery times, and a verdict (with --json, also written there; tests/chaos/ reads it). Exit
status 1 if any scenario failed, 3 if redis-server or PostgreSQL's binaries are missing.

This module is the command line; the scenarios are in _chaos_llm.py (llm-down, llm-slow) and
_chaos_restarts.py (worker-kill, redis-restart, postgres-restart, storm), their world in
harness/world.py (private servers in harness/servers.py), the audit in harness/audit.py and the
record in harness/report.py.
"""

import argparse
import contextlib
import json
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Run as `python bench/chaos.py`: bench/ (the scenarios) is on the path already; the repository
# root is added for the harness package and the project.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _chaos_llm import scenario_llm_down, scenario_llm_slow
from _chaos_restarts import (
    scenario_postgres_restart,
    scenario_redis_restart,
    scenario_storm,
    scenario_worker_kill,
)

from harness.procfs import load1
from harness.report import Params, Record
from harness.servers import postgres_bindir
from harness.stack import raise_nofile
from harness.world import Cluster

# One line per HTTP request the driver makes (health, control) would drown the records.
logging.getLogger("httpx").setLevel(logging.WARNING)
MISSING_SERVERS = 3  # exit status when redis-server or PostgreSQL's binaries are missing
SCENARIOS = ("llm-down", "worker-kill", "redis-restart", "storm", "postgres-restart", "llm-slow")


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
    parser.add_argument("--after", type=float, help="seconds of load after the fault, at least")
    parser.add_argument("--ramp", type=float, help="seconds over which candidates join (5)")
    parser.add_argument("--think-min", type=float, help="a candidate's shortest pause (2)")
    parser.add_argument("--think-max", type=float, help="a candidate's longest pause (4)")
    parser.add_argument("--questions", type=int, help="per interview (0: outlast the fault)")
    parser.add_argument("--kills", type=int, help="worker-kill: workers killed (2)")
    parser.add_argument(
        "--task-time-limit", type=int, help="worker-kill: CELERY_TASK_TIME_LIMIT (30)"
    )
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
        "after": args.after,
        "ramp": args.ramp,
        "think_min": args.think_min,
        "think_max": args.think_max,
        "questions": args.questions,
        "kills": args.kills,
        "task_time_limit": args.task_time_limit,
        "latency_ms": args.latency_ms,
        "llm_timeout": args.llm_timeout,
        "fault": args.fault,
    }
    if shutil.which("redis-server") is None:
        print("chaos: no redis-server (each run starts its own)", file=sys.stderr)
        return MISSING_SERVERS
    try:
        postgres_bindir()
    except RuntimeError as exc:
        print(f"chaos: {exc} (each run starts its own cluster)", file=sys.stderr)
        return MISSING_SERVERS
    raise_nofile(8192)
    workdir = Path(tempfile.mkdtemp(prefix="chaos-"))
    records: list[Record] = []
    command = ".venv/bin/python bench/chaos.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(f"chaos run: {', '.join(names)}; logs in {workdir}", flush=True)
    with chaos_cluster(workdir) as cluster:
        for name in names:
            print(f"--- {name} (load average {load1():.2f}) ...", flush=True)
            try:
                record = run_scenario(cluster, name, workdir, command, **overrides)
            except Exception as exc:  # a scenario that crashes is a failed scenario
                record = Record(name, command, problems=[f"crashed: {type(exc).__name__}: {exc}"])
            records.append(record)
            print(record.text(), flush=True)
    if args.json:
        args.json.write_text(json.dumps([r.as_dict() for r in records], indent=1, default=str))
    if not args.keep and all(r.ok for r in records):
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        "\nsummary: "
        + ", ".join(f"{r.scenario} {'PASS' if r.ok else 'FAIL'} (lost {r.lost})" for r in records)
    )
    return 0 if all(r.ok for r in records) else 1


if __name__ == "__main__":
    raise SystemExit(main())
