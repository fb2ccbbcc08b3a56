"""Shared by the sandbox tests: an engine with short limits, suites, and a process census."""

import os
from dataclasses import replace
from pathlib import Path

from sandbox.conf import SandboxSettings, sandbox_settings
from sandbox.engines.local import LocalEngine
from sandbox.types import Limits, RunResult, TestCase, TestSuite

# Short enough to keep the hostile tests quick, long enough for an interpreter to start.
LIMITS = Limits(
    cpu_seconds=2, wall_seconds=4, memory_bytes=256 * 2**20, processes=16,
    file_bytes=8 * 2**20, output_bytes=16 * 1024,
)  # fmt: skip
# CPU time accrues slower than wall time on a busy machine: the CPU-limit tests give the wall
# limit room so that the CPU limit is the one that stops them.
CPU_BOUND = replace(LIMITS, cpu_seconds=1, wall_seconds=30)
# What a run may take beyond its wall limit before the engine has it killed and reaped.
MARGIN = 1.5


def one_case(entrypoint: str = "solve", args: tuple[object, ...] = (), expected: object = None
             ) -> TestSuite:  # fmt: skip
    return TestSuite(entrypoint, (TestCase("only", args, expected),))


def add_suite(entrypoint: str = "add") -> TestSuite:
    return TestSuite(
        entrypoint,
        (
            TestCase("small", (1, 2), 3),
            TestCase("negative", (-4, 1), -3),
            TestCase("large", (10**12, 1), 10**12 + 1, hidden=True),
        ),
    )


def own_uids_conf() -> SandboxSettings:
    """The settings with uids of this test process's own (pytest-xdist runs several), so a
    census of leftover processes never counts another process's runs."""
    conf = sandbox_settings()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) if worker.startswith("gw") else 0
    return replace(conf, uid_base=conf.uid_base + 10_000 + 100 * index, uid_count=100)


def engine() -> LocalEngine:
    return LocalEngine(own_uids_conf())


def run(code: str, suite: TestSuite | None = None, limits: Limits = LIMITS) -> RunResult:
    return engine().run(code, "python", suite or one_case(), limits)


def sandbox_processes() -> list[int]:
    """Pids of processes running under any of the sandbox's uids (left over from a run)."""
    conf = own_uids_conf()
    uids = range(conf.uid_base, conf.uid_base + conf.uid_count)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("Uid:") and int(line.split()[1]) in uids:
                found.append(int(entry.name))
    return found


def assert_unharmed(result: RunResult) -> None:
    """The worker survives, nothing of the run is left, and the next run works."""
    assert sandbox_processes() == [], "processes of the run outlived it"
    assert os.getppid() > 1
    after = run("def add(a, b):\n    return a + b\n", add_suite())
    assert after.status == "passed", after
    assert result.duration < max(LIMITS.wall_seconds, result_wall(result)) + MARGIN


def result_wall(result: RunResult) -> float:
    return float(result.extra.get("wall_seconds", LIMITS.wall_seconds))
