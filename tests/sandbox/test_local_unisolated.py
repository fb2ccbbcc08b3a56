"""The local runner without namespaces (SANDBOX_ISOLATION=none, or auto on a machine that
cannot): the limits, the scrubbed environment and the empty working directory still hold."""

import json
import os
from dataclasses import replace

from sandbox.engines.local import RUN_ENV, LocalEngine
from sandbox.types import Limit, RunStatus
from tests.sandbox.support import CPU_BOUND, LIMITS, add_suite, one_case, own_uids_conf


def engine() -> LocalEngine:
    return LocalEngine(replace(own_uids_conf(), isolation="none"))


def test_runs_and_reports_it_is_not_isolated() -> None:
    result = engine().run("def add(a, b):\n    return a + b\n", "python", add_suite(), LIMITS)

    assert result.status == RunStatus.PASSED
    assert result.extra["isolated"] is False


def test_environment_scrubbed_and_an_empty_working_directory_removed_afterwards() -> None:
    code = (
        "import os, json\n"
        "def solve():\n"
        "    print(json.dumps({'env': sorted(os.environ), 'cwd': os.getcwd(),\n"
        "                      'files': os.listdir('.')}))\n"
    )
    os.environ["SANDBOX_CANARY_SECRET"] = "must-not-leak"
    try:
        result = engine().run(code, "python", one_case(), LIMITS)
    finally:
        del os.environ["SANDBOX_CANARY_SECRET"]

    seen = json.loads(result.tests[0].output)
    assert seen["env"] == sorted(RUN_ENV)
    assert seen["files"] == []
    assert not os.path.exists(seen["cwd"])


def test_cpu_wall_memory_and_output_limits_still_stop_runs() -> None:
    loop = engine().run("def solve():\n    while True:\n        pass\n", "python", one_case(),
                        CPU_BOUND)  # fmt: skip
    sleep = engine().run("import time\ndef solve():\n    time.sleep(60)\n", "python",
                         one_case(), LIMITS)  # fmt: skip
    memory = engine().run("def solve():\n    return len(bytearray(4 * 2**30))\n", "python",
                          one_case(), LIMITS)  # fmt: skip
    output = engine().run("import os\ndef solve():\n    os.write(1, b'x' * 2**24)\n", "python",
                          one_case(), LIMITS)  # fmt: skip

    assert [r.limit for r in (loop, sleep, memory, output)] == [
        Limit.CPU_TIME, Limit.WALL_TIME, Limit.MEMORY, Limit.OUTPUT,
    ]  # fmt: skip
    assert sleep.duration < LIMITS.wall_seconds + 1.5
