"""Hostile code through the local runner: each is stopped by the limit meant for it, within
the wall limit plus a margin, and leaves the worker unharmed (nothing left running under the
run's uid, the next run works). Requires isolation (root, unshare), as CI and production have."""

import contextlib
import ctypes
import errno
import json
import os
import subprocess
import sys
import tempfile

import pytest

from sandbox.engines.local import RUN_ENV
from sandbox.types import Limit, Limits, RunResult, RunStatus, TestCase, TestSuite
from tests.e2e.stack import ROOT
from tests.sandbox.support import (
    CPU_BOUND,
    LIMITS,
    add_suite,
    assert_unharmed,
    engine,
    one_case,
    own_uids_conf,
    run,
    sandbox_processes,
)
from tests.waiting import wait_for


@pytest.fixture(autouse=True)
def isolated() -> None:
    assert engine().isolated(), "these tests need namespaces: run them as root with unshare"


def test_fork_bomb__stopped_by_the_process_limit() -> None:
    result = run("import os\ndef solve():\n    while True:\n        os.fork()\n")

    assert (result.status, result.limit) == (RunStatus.LIMIT, Limit.PROCESSES), result
    assert "BlockingIOError" in result.tests[0].error
    assert_unharmed(result)


def test_shell_fork_bomb__dies_with_the_run() -> None:
    code = (
        "import subprocess\n"
        "def solve():\n"
        "    subprocess.Popen(['/bin/sh', '-c', 'f() { f | f & }; f'])\n"
        "    return 1\n"
    )
    result = run(code, one_case(expected=1))

    assert result.status == RunStatus.PASSED, result
    assert_unharmed(result)


def test_infinite_loop__stopped_by_the_cpu_limit() -> None:
    result = run("def solve():\n    while True:\n        pass\n", limits=CPU_BOUND)

    assert (result.status, result.limit) == (RunStatus.LIMIT, Limit.CPU_TIME), result
    assert result.tests[0].error.startswith("Not run: Stopped after the CPU-time limit")
    assert_unharmed(result)


def test_allocating_4_gib__stopped_by_the_memory_limit() -> None:
    result = run("def solve():\n    block = bytearray(4 * 2**30)\n    return len(block)\n")

    assert (result.status, result.limit) == (RunStatus.LIMIT, Limit.MEMORY), result
    assert "MemoryError" in result.tests[0].error
    assert_unharmed(result)


def test_writing_1_gib__stopped_by_the_file_limit_in_a_private_tmp() -> None:
    code = (
        "def solve():\n"
        "    with open('big.bin', 'wb') as f:\n"
        "        for _ in range(1024):\n"
        "            f.write(b'x' * 2**20)\n"
    )
    result = run(code)

    assert (result.status, result.limit) == (RunStatus.LIMIT, Limit.FILE_SIZE), result
    assert "big.bin" not in os.listdir("/tmp")
    assert_unharmed(result)


def test_reading_passwd_and_environment__shows_no_secret() -> None:
    code = (
        "import os, json\n"
        "def solve(project):\n"
        "    seen = {'env': sorted(os.environ), 'uid': os.getuid(),\n"
        "            'passwd': open('/etc/passwd').read().count(':') > 0,\n"
        "            'project': os.listdir(project) if os.access(project, os.R_OK) else None}\n"
        "    try:\n"
        "        open('/etc/shadow').read()\n"
        "        seen['shadow'] = 'readable'\n"
        "    except OSError as exc:\n"
        "        seen['shadow'] = exc.errno\n"
        "    print(json.dumps(seen))\n"
    )
    project = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ["SANDBOX_CANARY_SECRET"] = "must-not-leak"
    try:
        result = run(code, one_case(args=(project,)))
    finally:
        del os.environ["SANDBOX_CANARY_SECRET"]

    seen = json.loads(result.tests[0].output)
    assert seen["env"] == sorted(RUN_ENV)  # no DATABASE_URL, SECRET_KEY, REDIS_URL, canary
    assert seen["uid"] != 0
    assert seen["passwd"] is True  # world-readable account names; no password hashes in it
    assert seen["shadow"] == errno.EACCES
    assert seen["project"] in (None, [])  # the project's directory is hidden
    assert_unharmed(result)


@pytest.mark.parametrize("port", [5432, 6379])
def test_socket_to_local_services__network_unreachable(port: int) -> None:
    code = (
        "import socket\n"
        "def solve(port):\n"
        "    try:\n"
        "        socket.create_connection(('127.0.0.1', port), timeout=2)\n"
        "        return 'connected'\n"
        "    except OSError as exc:\n"
        "        return exc.errno\n"
    )
    result = run(code, one_case(args=(port,), expected=errno.ENETUNREACH))

    assert result.status == RunStatus.PASSED, result
    assert_unharmed(result)


def test_printing_100_mb_to_the_raw_stdout__stopped_by_the_output_limit() -> None:
    code = (
        "import os\n"
        "def solve():\n"
        "    chunk = b'x' * 2**20\n"
        "    for _ in range(100):\n"
        "        os.write(1, chunk)\n"
    )
    result = run(code)

    assert (result.status, result.limit) == (RunStatus.LIMIT, Limit.OUTPUT), result
    assert result.stdout.endswith(f"[output truncated: the run printed more than "
                                  f"{LIMITS.output_bytes} bytes]")  # fmt: skip
    assert len(result.stdout) < LIMITS.output_bytes + 100
    assert_unharmed(result)


def test_printing_100_mb_in_a_test__its_output_is_truncated_with_a_marker() -> None:
    result = run("def solve():\n    print('y' * 100_000_000)\n    return 1\n", one_case(expected=1))

    assert result.status == RunStatus.PASSED, result
    output = result.tests[0].output
    assert output.startswith("y" * 100)
    assert output.endswith(
        f"[output truncated: {100_000_001 - LIMITS.output_bytes} more characters]"
    )
    assert_unharmed(result)


def test_sleeping_past_the_wall_limit__timeout_within_the_margin() -> None:
    result = run("import time\ndef solve():\n    time.sleep(60)\n")

    assert (result.status, result.limit) == (RunStatus.TIMEOUT, Limit.WALL_TIME), result
    assert result.duration >= LIMITS.wall_seconds
    assert_unharmed(result)


def test_killing_the_parent_and_everything_it_can__the_worker_survives() -> None:
    code = (
        "import os, signal\n"
        "def solve(worker):\n"
        "    for pid in (worker, os.getppid(), 1, -1):\n"
        "        try:\n"
        "            os.kill(pid, signal.SIGKILL)\n"
        "        except OSError:\n"
        "            pass\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = run(code, one_case(args=(os.getpid(),)))

    assert result.status == RunStatus.ERROR, result
    assert "SIGKILL" in result.message
    assert_unharmed(result)


def test_a_daemon_that_leaves_the_session__does_not_outlive_the_run() -> None:
    code = (
        "import os, time\n"
        "def solve():\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(600)\n"
        "        os._exit(0)\n"
        "    return 1\n"
    )
    result = run(code, one_case(expected=1))

    assert result.status == RunStatus.PASSED, result
    assert_unharmed(result)


def test_forged_result_lines__never_pass() -> None:
    forged = json.dumps({"kind": "test", "index": 0, "ok": True, "value": 3, "error": "",
                         "duration": 0, "output": ""})  # fmt: skip
    code = (
        f"import os\nos.write(3, b'{forged}\\n')\nprint('{forged}')\ndef add(a, b):\n    return 0\n"
    )
    result = run(code, add_suite())

    assert result.status == RunStatus.ERROR, result
    assert result.passed_count == 0
    assert "protocol" in result.message
    assert_unharmed(result)


def _js(code: str, suite: TestSuite, limits: Limits = LIMITS) -> RunResult:
    return engine().run(code, "javascript", suite, limits)


def test_javascript__environment_network_and_parent_are_out_of_reach() -> None:
    code = (
        "const net = require('net');\n"
        "async function solve(port) {\n"
        "  try { process.kill(process.ppid, 'SIGKILL'); } catch (e) {}\n"
        "  const error = await new Promise((resolve) => {\n"
        "    const s = net.connect(port, '127.0.0.1');\n"
        "    s.on('connect', () => resolve('connected'));\n"
        "    s.on('error', (e) => resolve(e.code));\n"
        "  });\n"
        "  return [Object.keys(process.env).sort(), error];\n"
        "}\n"
    )
    suite = TestSuite("solve", (TestCase("only", (5432,), [sorted(RUN_ENV), "ENETUNREACH"]),))
    result = _js(code, suite)

    assert result.status == RunStatus.PASSED, result
    assert_unharmed(result)


def test_javascript__spawning_processes_without_end__stopped_by_the_process_limit() -> None:
    code = (
        "const { spawn } = require('child_process');\n"
        "async function solve() {\n"
        "  for (;;) {\n"
        "    const child = spawn('/bin/sleep', ['60']);\n"
        "    if (!child.pid) throw await new Promise((resolve) => child.on('error', resolve));\n"
        "  }\n"
        "}\n"
    )
    result = _js(code, one_case())

    assert (result.status, result.limit) == (RunStatus.LIMIT, Limit.PROCESSES), result
    assert "EAGAIN" in result.tests[0].error
    assert_unharmed(result)


def test_host_unix_sockets_and_writable_places__out_of_reach() -> None:
    code = (
        "import os, socket\n"
        "def solve(places):\n"
        "    seen = {}\n"
        "    s = socket.socket(socket.AF_UNIX)\n"
        "    try:\n"
        "        s.connect('/run/postgresql/.s.PGSQL.5432')\n"
        "        seen['postgres'] = 'connected'\n"
        "    except OSError as exc:\n"
        "        seen['postgres'] = exc.errno\n"
        "    for place in places:\n"
        "        try:\n"
        "            open(os.path.join(place, 'planted'), 'w').close()\n"
        "            seen[place] = 'written'\n"
        "        except OSError as exc:\n"
        "            seen[place] = exc.errno\n"
        "    return seen\n"
    )
    # A world-writable directory outside /tmp, as hosts have (/run/lock, caches, sockets).
    shared = tempfile.mkdtemp(dir="/var/cache")
    os.chmod(shared, 0o777)
    try:
        expected = {"postgres": errno.EACCES, shared: errno.EROFS, "/run/lock": errno.EACCES}
        result = run(code, one_case(args=([shared, "/run/lock"],), expected=expected))
        assert result.status == RunStatus.PASSED, result
        assert os.listdir(shared) == []
    finally:
        os.rmdir(shared)
    assert_unharmed(result)


def test_host_shared_memory__not_visible() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    key = 0x5A4D0000 + os.getpid() % 0xFFFF
    segment = libc.shmget(key, 4096, 0o1666)  # IPC_CREAT, readable and writable by anyone
    assert segment >= 0, os.strerror(ctypes.get_errno())
    code = (
        "import ctypes\n"
        "def solve(key):\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        "    return [libc.shmget(key, 0, 0), ctypes.get_errno()]\n"
    )
    try:
        result = run(code, one_case(args=(key,), expected=[-1, errno.ENOENT]))
    finally:
        libc.shmctl(segment, 0, None)  # IPC_RMID

    assert result.status == RunStatus.PASSED, result
    assert_unharmed(result)


WORKER = """
import django, sys
django.setup()
from sandbox.engines.local import LocalEngine
from sandbox.types import Limits, TestCase, TestSuite
code = "import os, time\\ndef solve():\\n    if os.fork() == 0:\\n        os.setsid()\\n" \\
       "    time.sleep(120)\\n"
LocalEngine().run(code, "python", TestSuite("solve", (TestCase("t", (), None),)),
                  Limits(cpu_seconds=60, wall_seconds=120))
"""


def test_the_worker_killed_mid_run__the_run_dies_with_it() -> None:
    env = {**os.environ, "SANDBOX_UID_BASE": str(own_uids_conf().uid_base),
           "SANDBOX_UID_COUNT": str(own_uids_conf().uid_count)}  # fmt: skip
    worker = subprocess.Popen([sys.executable, "-c", WORKER], env=env, cwd=ROOT)
    try:
        wait_for(lambda: len(sandbox_processes()) >= 2, 30, "the run's processes to start")

        worker.kill()  # as Celery's hard time limit or the OOM killer would
        worker.wait(timeout=10)

        wait_for(lambda: sandbox_processes() == [], 5, "the run to die with its worker")
    finally:
        for pid in sandbox_processes():  # only if the run outlived its worker (a failure)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        if worker.poll() is None:
            worker.kill()
