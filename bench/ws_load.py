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
          after a think time (--pace realistic: 27-33 s; stress, the default: 2-4 s): connect
          time, answer → next question latency, errors, throughput, server RSS per connection,
          CPU by component, and server CPU ms per answer (uvicorn and PostgreSQL apart).
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

This module is the command line; the modes are in _ws_steady.py (steady, llm-faults),
_ws_storm.py (storm) and _ws_sockets.py (idle, cycles), on what _ws_run.py sets up.
"""

import argparse
import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project, for Django
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the bench's helper modules

import _ws_sampling as sampling  # noqa: E402
from _ws_report import Report  # noqa: E402
from _ws_run import (  # noqa: E402
    Run,
    baseline_path,
    bench_env,
    broker_url,
    create_interviews,
    django_setup,
    interviews_needed,
    run_url,
    warm_up,
)
from _ws_sockets import mode_cycles, mode_idle  # noqa: E402
from _ws_steady import mode_llm_faults, mode_steady  # noqa: E402
from _ws_storm import mode_storm  # noqa: E402

from harness import procfs  # noqa: E402
from harness import stack as infra  # noqa: E402

MODES = ("steady", "storm", "idle", "cycles", "llm-faults")
# What uvicorn serves: bench/_bench_asgi.py, the project plus the lean consumer of --baseline.
BENCH_APP = ("--app-dir", "bench", "_bench_asgi:application")
DEFAULT_CLIENTS = {"steady": 500, "storm": 200, "idle": 2000, "cycles": 1, "llm-faults": 50}
DEFAULT_QUESTIONS = {"steady": 3, "storm": 50, "idle": 5, "cycles": 5, "llm-faults": 3}
# Think time between a question and the answer, seconds (uniform in the range): a candidate
# answers about every 30 s; the stress preset is 10 x that pace.
PACES = {"realistic": (27.0, 33.0), "stress": (2.0, 4.0)}
FAKE_FAULTS = ("hang", "error500", "rate_limit", "malformed", "drop")


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
    p.add_argument(
        "--pace",
        choices=sorted(PACES),
        default="stress",
        help="think-time preset: realistic (27-33 s, a real candidate's pace) or stress (2-4 s)",
    )
    p.add_argument("--think-min", type=float, help="seconds; overrides --pace")
    p.add_argument("--think-max", type=float, help="seconds; overrides --pace")
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
    p.add_argument(
        "--baseline",
        action="store_true",
        help="steady: then the same load on the lean consumer (_ws_baseline.py), same uvicorn",
    )
    p.add_argument("--no-worker", action="store_true", help="no Celery worker: evaluations queue")
    p.add_argument("--no-deflate", action="store_true", help="clients refuse permessage-deflate")
    p.add_argument("--db-conn-max-age", type=int, help="DB_CONN_MAX_AGE for the servers")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="server env")
    p.add_argument("--database", default="interviewsite_bench")
    p.add_argument(
        "--redis-url",
        help="the first of the four Redis DBs the servers use (and the broker's); default: DB 0,"
        " the broker on DB 10",
    )
    p.add_argument("--keep-database", action="store_true")
    p.add_argument("--wait-load", type=float, help="first wait (<= 15 min) for load1 below this")
    p.add_argument("--json", type=Path, help="also write every figure as JSON here")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    args.clients = args.clients or DEFAULT_CLIENTS[args.mode]
    args.questions = args.questions or DEFAULT_QUESTIONS[args.mode]
    args.workers = args.workers or (1 if args.mode in ("idle", "cycles") else 2)
    if args.baseline and args.mode != "steady":
        p.error("--baseline compares steady load only")
    if args.mode == "idle" and args.workers != 1:
        p.error("idle measures ONE uvicorn process: --workers 1")
    pace_min, pace_max = PACES[args.pace]
    args.think_min = pace_min if args.think_min is None else args.think_min
    args.think_max = pace_max if args.think_max is None else args.think_max
    if not 0 < args.think_min <= args.think_max:
        p.error("need 0 < --think-min <= --think-max")
    if not 1 <= args.questions <= 50:
        p.error("--questions must be between 1 and 50")
    return args


def wait_for_load(limit: float, most: float = 900, every: float = 30) -> None:
    deadline = time.monotonic() + most
    while (load := procfs.load1()) >= limit and time.monotonic() < deadline:
        print(f"load average {load:.2f} >= {limit}; waiting {every:.0f} s", flush=True)
        time.sleep(every)
    print(f"load average {procfs.load1():.2f}: starting", flush=True)


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
    load_start = procfs.load1()
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
            lean = (
                create_interviews(interviews_needed(args), args.questions, args.seed + 2)
                if args.baseline
                else []
            )
            warm = create_interviews(8 * args.workers, 5, args.seed + 1)
            print(
                f"created {len(paths)} interviews in {time.monotonic() - started:.1f} s", flush=True
            )
            if fake_port:
                running.fake_llm(fake_port, args.llm_latency_ms)
            server = running.uvicorn_server(web_port, args.workers, app=BENCH_APP)
            celery = None
            if args.mode in ("steady", "storm", "llm-faults") and not args.no_worker:
                celery = running.celery_worker()
            probe = sampling.Probe(args.database, broker_url(args))
            sampler = sampling.Sampler(server, probe)
            run = Run(args, running, server, probe, sampler, paths, celery, fake_port)
            warm_up(run, warm)
            run.urls = [run_url(run, p) for p in paths]
            run.baseline_urls = [run_url(run, baseline_path(p)) for p in lean]
            print(f"running {args.mode} ...", flush=True)
            RUNNERS[args.mode](run, report)
            report.add(f"load average at the end: {procfs.load1():.2f} (at start {load_start:.2f})")
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
