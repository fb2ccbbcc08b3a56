"""Code sandbox throughput and latency on the local runner (docs/performance.md, "Code sandbox").

    .venv/bin/python bench/sandbox_runs.py [--runs 100] [--concurrent 20] [--workers 2] [--services]

It prints:

1. the floor: a bare `python3 -I -S -c pass` started as a subprocess, one after another;
2. runs per second of one worker process (runs one after another, the way one Celery pool
   process takes them) for a trivial solution (add two numbers, 3 tests) and a typical one (a
   sliding-window string problem, 10 tests, one on a 20,000-character input), in Python and
   JavaScript; the overhead per run over the bare interpreter (namespaces, the launcher, the
   harness, the limits, the result channel);
3. the latency a candidate sees from submit to stored result when `--concurrent` runs are
   submitted at once: sandbox_run_submit in this process, a real Celery worker consuming the
   `sandbox` queue with `--workers` pool processes, the result polled from the database every
   10 ms; then the same through the interview: `--concurrent` candidates press "Run tests"
   at once (submission_create, interviews.tasks.run_submission_tests on the same queue), side by
   side with the ratio to the bare sandbox path.

Standalone it uses the embedded default (SQLite and the file broker in a throw-away directory);
with --services, DATABASE_URL and REDIS_URL from the environment (a throw-away database: it is
migrated and gets SandboxRun rows). Run it as root, as sandbox workers run, for the isolated
figures.
"""

import argparse
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.types import TestSuite

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

TRIVIAL_PY = "def add(a, b):\n    return a + b\n"
TRIVIAL_JS = "function add(a, b) { return a + b; }\n"
TYPICAL_PY = """
def longest_unique(s):
    seen = {}
    best = start = 0
    for i, ch in enumerate(s):
        if seen.get(ch, -1) >= start:
            start = seen[ch] + 1
        seen[ch] = i
        best = max(best, i - start + 1)
    return best
"""
TYPICAL_JS = """
function longest_unique(s) {
  const seen = new Map();
  let best = 0, start = 0;
  for (let i = 0; i < s.length; i++) {
    if ((seen.get(s[i]) ?? -1) >= start) start = seen.get(s[i]) + 1;
    seen.set(s[i], i);
    best = Math.max(best, i - start + 1);
  }
  return best;
}
"""


def suites() -> tuple["TestSuite", "TestSuite"]:

    from sandbox.types import TestCase, TestSuite

    trivial = TestSuite("add", tuple(TestCase(f"t{i}", (i, i + 1), 2 * i + 1) for i in range(3)))
    cases = [("abcabcbb", 3), ("bbbbb", 1), ("pwwkew", 3), ("", 0), ("a", 1), ("au", 2),
             ("dvdf", 3), ("abba", 2), ("tmmzuxt", 5)]  # fmt: skip
    long_input = ("abcdefghij" * 2000, 10)
    typical = TestSuite(
        "longest_unique",
        tuple(TestCase(f"t{i}", (s,), n) for i, (s, n) in enumerate([*cases, long_input])),
    )
    return trivial, typical


def setup_django(services: bool, var_dir: str) -> dict[str, str]:
    if not services:
        for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
            os.environ.pop(name, None)
    os.environ.update(DJANGO_SETTINGS_MODULE="interviewsite.settings", VAR_DIR=var_dir,
                      LOG_LEVEL="ERROR")  # fmt: skip
    import django
    from django.core.management import call_command

    from interviewsite.runtime import prepare_process

    prepare_process()  # the directories a process's entry point makes
    django.setup()
    call_command("migrate", verbosity=0)
    return dict(os.environ)


def timed(action: Callable[[], object], runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def line(label: str, seconds: list[float]) -> float:
    mean = statistics.fmean(seconds)
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    p50 = statistics.median(seconds)
    print(
        f"  {label:<34} {1 / mean:7.1f} runs/s   mean {mean * 1000:6.1f} ms   "
        f"p50 {p50 * 1000:6.1f} ms   p99 {p99 * 1000:6.1f} ms"
    )
    return mean


def sequential(runs: int) -> None:
    from sandbox.conf import sandbox_settings
    from sandbox.engines.local import LocalEngine

    conf = sandbox_settings()
    engine = LocalEngine(conf)
    trivial, typical = suites()
    print(f"one worker process, {runs} runs each (isolated: {engine.isolated()})")
    bare_argv = [conf.python, "-I", "-S", "-c", "pass"]
    bare = line(
        "bare python3 -I -S -c pass", timed(lambda: subprocess.run(bare_argv, check=True), runs)
    )
    for label, code, language, suite in (
        ("trivial, Python (3 tests)", TRIVIAL_PY, "python", trivial),
        ("typical, Python (10 tests)", TYPICAL_PY, "python", typical),
        ("trivial, JavaScript (3 tests)", TRIVIAL_JS, "javascript", trivial),
        ("typical, JavaScript (10 tests)", TYPICAL_JS, "javascript", typical),
    ):
        if language not in conf.languages():
            continue
        result = engine.run(code, language, suite)
        assert result.status == "passed", result
        mean = line(label, timed(functools.partial(engine.run, code, language, suite), runs))
        if language == "python":
            print(f"  {'':<34} overhead over the bare interpreter: {(mean - bare) * 1000:.1f} ms")


def concurrent(count: int, workers: int, env: dict[str, str], logs: Path) -> None:
    from sandbox.models import RunState, SandboxRun
    from sandbox.services import sandbox_run_submit

    log = (logs / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "interviewsite", "worker", "-Q", "sandbox",
         "--concurrency", str(workers), "--loglevel", "WARNING", "-n", "bench-sandbox@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        _, typical = suites()
        warm = sandbox_run_submit(code=TYPICAL_PY, language="python", tests=typical)
        _wait([warm], 120)  # the worker is up and has run once
        submitted = {}
        for _ in range(count):
            submitted[sandbox_run_submit(code=TYPICAL_PY, language="python", tests=typical)] = (
                time.perf_counter()
            )
        latencies = _wait(list(submitted), 300, submitted)
        states = set(SandboxRun.objects.filter(id__in=submitted).values_list("state", flat=True))
        assert states == {RunState.DONE}, states
        print(f"{count} runs submitted at once (typical, Python), one worker with {workers} "
              f"pool processes")  # fmt: skip
        base = _latency_line("sandbox_run_submit to result", latencies)
        interview = _latency_line("Run tests to code_result", candidates(count))
        print(f"  {'':<34} ratio to sandbox_run_submit (p50): {interview / base:.2f}")
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=30)


def _latency_line(label: str, latencies: list[float]) -> float:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    print(f"  {label:<34} p50 {p50 * 1000:5.0f} ms   "
          f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:5.0f} ms   "
          f"max {ordered[-1] * 1000:5.0f} ms")  # fmt: skip
    return p50


def candidates(count: int) -> list[float]:
    """`count` candidates press "Run tests" at once on a coding question (the interview path:
    submission_create stores the code and queues interviews.tasks.run_submission_tests on the same
    `sandbox` queue); seconds from each press until its Submission is tested, which is when
    the candidate's socket sends code_result (it polls every 0.25 s: add up to that)."""
    import uuid

    from interviews.coding.spec import CodingSpec
    from interviews.models import Submission, SubmissionStatus, TurnKind
    from interviews.services.interviews import interview_advance, interview_create, interview_start
    from interviews.services.submissions import submission_create

    work = []
    for n in range(count):
        interview = interview_create(
            candidate_name=f"Bench {n}", role="Engineer", topic="python", difficulty="medium",
            question_count=1, coding_count=1,
        ).interview  # fmt: skip
        interview_start(interview_id=interview.pk, notice_version="bench")  # consented
        interview_advance(interview_id=interview.pk)
        turn = interview.turns.get(kind=TurnKind.QUESTION)
        work.append((interview.pk, CodingSpec.from_meta(turn.meta["coding"]).solution))
    pressed = {}
    for interview_id, solution in work:
        started = time.perf_counter()
        outcome = submission_create(
            interview_id=interview_id, kind="run", code=solution, language="python",
            client_id=uuid.uuid4(),
        )  # fmt: skip
        pressed[outcome.submission.pk] = started
    latencies, pending = [], set(pressed)
    deadline = time.monotonic() + 300
    while pending:
        if time.monotonic() > deadline:
            raise SystemExit(f"{len(pending)} submissions were not tested within 300 s")
        done = set(
            Submission.objects.filter(pk__in=pending, status=SubmissionStatus.DONE).values_list(
                "pk", flat=True
            )
        )
        now = time.perf_counter()
        latencies += [now - pressed[pk] for pk in done]
        pending -= done
        time.sleep(0.01)
    return latencies


def _wait(ids: list[Any], timeout: float, submitted: dict[Any, float] | None = None) -> list[float]:
    from sandbox.models import RunState, SandboxRun

    pending, latencies = set(ids), []
    deadline = time.monotonic() + timeout
    while pending:
        if time.monotonic() > deadline:
            raise SystemExit(f"{len(pending)} runs did not finish within {timeout} s")
        done = set(
            SandboxRun.objects.filter(
                id__in=pending, state__in=(RunState.DONE, RunState.FAILED)
            ).values_list("id", flat=True)
        )
        now = time.perf_counter()
        for run_id in done:
            if submitted:
                latencies.append(now - submitted[run_id])
        pending -= done
        time.sleep(0.01)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="sequential runs per figure")
    parser.add_argument("--concurrent", type=int, default=20, help="runs submitted at once")
    parser.add_argument("--workers", type=int, default=2, help="the worker's pool processes")
    parser.add_argument("--services", action="store_true", help="PostgreSQL and Redis from env")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as var_dir:
        env = setup_django(args.services, var_dir)
        sequential(args.runs)
        concurrent(args.concurrent, args.workers, env, Path(var_dir))


if __name__ == "__main__":
    main()
