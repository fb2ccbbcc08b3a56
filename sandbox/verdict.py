"""From what came back out of a sandbox to a RunResult: per-test verdicts and the one status.

Every engine reports the same raw facts (the values each test returned, the harness's load
error, how the process ended, whether the caller stopped it) and this module alone decides
what they mean. The expected values never enter the sandbox; they are compared here.
"""

import json
import signal
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.compare import short, values_equal
from sandbox.metrics import run_observe
from sandbox.types import Limit, Limits, RunResult, RunStatus, TestResult, TestSuite

NODE_OUT_OF_MEMORY = ("heap out of memory", "Allocation failed", "Fatal process OOM")


@dataclass
class RawRun:
    """The facts an engine gathered; `records` maps a test's index to its harness line."""

    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    load: dict[str, Any] | None = None
    exit_code: int | None = None
    exit_signal: int | None = None
    cpu_seconds: float | None = None
    stopped: Limit | None = None  # the caller stopped the run at this limit
    problem: str = ""  # the harness or its channel misbehaved
    setup_error: str = ""  # the sandbox could not start the run: not the code's doing
    stdout: str = ""
    stderr: str = ""


def read_result_lines(raw: RawRun, lines: Iterable[bytes]) -> None:
    """Fill `raw` from the harness's JSON lines (and the launcher's exit line). A repeated
    test, an unknown kind or an unreadable line marks the channel broken."""
    for line in lines:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raw.problem = raw.problem or "The run's result channel carried something unreadable."
            continue
        kind = item.get("kind") if isinstance(item, dict) else None
        index = item.get("index") if kind == "test" else None
        if kind == "test" and type(index) is int and index not in raw.records:
            raw.records[index] = item
        elif kind == "load" and raw.load is None:
            raw.load = item
        elif kind == "exit":
            raw.exit_code = item.get("code")
            raw.exit_signal = item.get("signal")
            raw.cpu_seconds = item.get("cpu")
            raw.setup_error = str(item.get("setup_error") or "")
            raw.problem = raw.problem or item.get("broken") or ""
        else:
            raw.problem = raw.problem or "the harness protocol was broken: an unexpected line"


def result_from_raw(
    raw: RawRun, *, suite: TestSuite, limits: Limits, duration: float, engine: str,
    extra: dict[str, Any] | None = None,
) -> RunResult:  # fmt: skip
    limit, message = _stopping_limit(raw, limits)
    if raw.problem:
        # A channel that broke its rules may carry forged lines: none of them is believed.
        raw.records, message = {}, message or raw.problem
    tests = tuple(_test(raw, i, case, limit, message) for i, case in enumerate(suite.cases))
    if limit is not None:
        status = RunStatus.TIMEOUT if limit == Limit.WALL_TIME else RunStatus.LIMIT
    elif raw.load is not None:
        status, message = RunStatus.ERROR, "The code could not be loaded: " + raw.load["error"]
    elif raw.problem:
        status, message = RunStatus.ERROR, raw.problem
    elif len(raw.records) < len(suite.cases):
        status = RunStatus.ERROR
        message = message or (f"The code ended the run before every test ran ({_ending(raw)}).")
    else:
        status = RunStatus.PASSED if all(t.passed for t in tests) else RunStatus.FAILED
    result = RunResult(
        status=status, tests=tests, limit=limit, message=message, stdout=raw.stdout,
        stderr=raw.stderr, duration=duration, engine=engine, extra=extra or {},
    )  # fmt: skip
    run_observe(result)
    return result


def _stopping_limit(raw: RawRun, limits: Limits) -> tuple[Limit | None, str]:
    if raw.stopped == Limit.WALL_TIME:
        return Limit.WALL_TIME, f"Stopped after the wall-time limit of {limits.wall_seconds:g} s."
    if raw.stopped == Limit.OUTPUT:
        return Limit.OUTPUT, f"Stopped: it printed more than {limits.output_bytes} bytes."
    if raw.stopped is not None:
        return raw.stopped, f"Stopped by the {raw.stopped.value.replace('_', ' ')} limit."
    cpu_spent = raw.cpu_seconds is not None and raw.cpu_seconds >= limits.cpu_seconds * 0.95
    if raw.exit_signal == signal.SIGXCPU or (raw.exit_signal == signal.SIGKILL and cpu_spent):
        return Limit.CPU_TIME, f"Stopped after the CPU-time limit of {limits.cpu_seconds:g} s."
    if raw.exit_signal == signal.SIGXFSZ:
        return Limit.FILE_SIZE, f"Stopped: it wrote more than {limits.file_bytes} bytes."
    crashed = raw.exit_signal is not None or raw.exit_code not in (None, 0)
    if crashed and any(marker in raw.stderr for marker in NODE_OUT_OF_MEMORY):
        return Limit.MEMORY, f"Stopped: it used more than {limits.memory_bytes} bytes."
    reported = [raw.load] if raw.load else []
    reported += [raw.records[i] for i in sorted(raw.records)]
    for line in reported:
        if line.get("limit") in Limit.__members__.values():
            hit = Limit(line["limit"])
            return hit, f"Stopped by the {hit.value.replace('_', ' ')} limit: {line['error']}"
    return None, ""


def _test(raw: RawRun, index: int, case: Any, limit: Limit | None, message: str) -> TestResult:
    line = raw.records.get(index)
    if line is None:
        why = message or ("the code could not be loaded" if raw.load else _ending(raw))
        return TestResult(case.name, False, error=f"Not run: {why}")
    output = str(line.get("output", ""))
    duration = float(line.get("duration") or 0.0)
    if not line.get("ok"):
        return TestResult(case.name, False, output, str(line.get("error", "error")), duration)
    if values_equal(line.get("value"), case.expected):
        return TestResult(case.name, True, output, "", duration)
    if case.hidden:
        error = "Wrong answer (hidden test)."
    else:
        error = f"Expected {short(case.expected)}, got {short(line.get('value'))}."
    return TestResult(case.name, False, output, error, duration)


def _ending(raw: RawRun) -> str:
    if raw.exit_signal is not None:
        try:
            name = signal.Signals(raw.exit_signal).name
        except ValueError:
            name = str(raw.exit_signal)
        return f"its process was killed by {name}"
    if raw.exit_code is not None:
        return f"its process exited with status {raw.exit_code}"
    return "the run ended early"
