"""One bench/ws_load.py run: the server environment, Django in this process on the bench
database (creating interviews, counting evaluations), what a mode is handed (`Run`: the stack,
the server, the probes, the interview URLs), and the warm-up before anything is measured.
"""

import argparse
import asyncio
import math
import os
import random
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _ws_load_clients as load_clients
import _ws_sampling as sampling

from harness import procfs
from harness import stack as infra
from harness import ws_clients as clients

CALIBRATION = 6  # steady: interviews answered by one candidate alone before the load


# --- Django, in this process, on the bench database ---------------------------------------------
def bench_env(args: argparse.Namespace, var_dir: Path, fake_port: int) -> dict[str, str]:
    skip = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "VAR_DIR", "PROMETHEUS_MULTIPROC_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(
        DJANGO_SETTINGS_MODULE="interviewsite.settings",
        PYTHONUNBUFFERED="1",
        DATABASE_URL=infra.database_url(args.database),
        REDIS_URL=args.redis_url or infra.REDIS_URL,
        CELERY_BROKER_URL=broker_url(args),
        SECRET_KEY="bench-only-" + secrets.token_urlsafe(32),
        DEBUG="false",
        LLM_PROVIDERS="offline",
        # Simulated candidates speak the socket protocol only: they never see the start page.
        INTERVIEW_CONSENT_REQUIRED="false",
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
    if args.mode == "cycles":
        # The same few interviews reconnect many times a second: the frame limit counts per
        # interview, and this mode measures resources, not the limit.
        env["WS_RATE_LIMIT_MESSAGES"] = "1000000"
    if args.db_conn_max_age is not None:
        env["DB_CONN_MAX_AGE"] = str(args.db_conn_max_age)
    for item in args.env:
        key, _, value = item.partition("=")
        env[key] = value
    return env


def broker_url(args: argparse.Namespace) -> str:
    """With --redis-url, the broker is its first database (as the settings place it); else
    the bench's own database beside the shared default."""
    return args.redis_url or infra.BROKER_URL


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    from interviewsite.runtime import prepare_process

    prepare_process()  # the directories a process's entry point makes
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


# --- the run -------------------------------------------------------------------------------------
@dataclass
class Run:
    args: argparse.Namespace
    stack: infra.Stack
    server: infra.Server
    probe: sampling.Probe
    sampler: sampling.Sampler
    urls: list[str]
    celery: infra.Proc | None
    fake_port: int = 0
    baseline_urls: list[str] = field(default_factory=list)  # --baseline: the lean consumer's

    @property
    def timing(self) -> clients.Timing:
        a = self.args
        timeout = a.timeout
        if a.mode == "llm-faults":  # one turn may wait out LLM_TIMEOUT_SECONDS more than once
            timeout = max(timeout, 3 * a.llm_timeout + 10)
        return clients.Timing(a.think_min, a.think_max, timeout, deflate=not a.no_deflate)

    def cpu_meter(self) -> sampling.CpuMeter:
        parts = {
            "uvicorn": procfs.tree_pids(self.server.proc.pid),
            "redis": [self.probe.redis_pid()],
        }
        if self.celery is not None:
            parts["celery"] = procfs.tree_pids(self.celery.pid)
        meter = sampling.CpuMeter(parts, self.probe.pg_backend_pids(), self.server.worker_pids())
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
            await asyncio.gather(
                *(load_clients.cycle_once(c) for c in cands), return_exceptions=True
            )

    asyncio.run(go())
    if tally.errors:
        print(f"warm-up errors: {dict(tally.errors)} {tally.samples[:3]}", file=sys.stderr)


def baseline_path(path: str) -> str:
    """The same interview's socket on the lean consumer (_bench_asgi.py routes the prefix)."""
    prefix = "/ws/interviews/"
    if not path.startswith(prefix):
        raise ValueError(f"not an interview socket path: {path!r}")
    return "/ws/baseline/" + path[len(prefix) :]


def run_url(run: Run, path: str) -> str:
    return f"ws://127.0.0.1:{run.server.port}{path}"
