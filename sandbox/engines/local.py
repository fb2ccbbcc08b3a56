"""The embedded default engine: each run is a fresh process on this machine (docs/sandbox.md).

With isolation (root and unshare available) a run gets new PID, mount and network namespaces,
its own unprivileged uid (one per concurrent run, so the process limit is its own), an empty
private /tmp as its working directory, the project's directories hidden, and a scrubbed
environment. Without it (SANDBOX_ISOLATION=none, or auto on a machine that cannot) only the
resource limits, the scrubbed environment and the empty directory remain: say so to operators.
"""

import fcntl
import json
import logging
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import IO, Any

from sandbox.conf import SandboxSettings, sandbox_settings
from sandbox.engines.local_process import watch
from sandbox.runner import VALUE_CAP, line_cap, source
from sandbox.types import EngineUnavailable, InvalidRunRequest, Limits, RunResult, TestSuite
from sandbox.validation import validate_run_request
from sandbox.verdict import RawRun, result_from_raw

logger = logging.getLogger(__name__)

# The whole environment a run sees: nothing of the worker's (no settings, no secrets).
RUN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp",  # noqa: S108 (the run's private tmpfs)
           "LANG": "C.UTF-8",
           "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
# Network, PID (with its own /proc), mounts, System V IPC and POSIX message queues, hostname.
UNSHARE = ("--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--ipc", "--uts")
HARNESS = {"python": "harness.py", "javascript": "harness.js", "sql": "harness_sql.py"}


@cache
def namespaces_available(unshare: str) -> bool:
    """Whether this process may create the namespaces a run needs (root, unshare present)."""
    if os.geteuid() != 0 or not unshare:
        return False
    try:
        done = subprocess.run(  # noqa: S603
            [unshare, *UNSHARE, "true"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _running_as(uid: int | None) -> bool:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    return True
            except FileNotFoundError:
                continue  # exited while we looked
    return False


def _wait_until_gone(uid: int | None, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while _running_as(uid):
        if time.monotonic() > deadline:
            logger.error("sandbox: processes of uid %s outlived their run by %ss", uid, timeout)
            return
        time.sleep(0.005)


def _raise_if_the_sandbox_failed(raw: RawRun, isolate: bool) -> None:
    """A run the sandbox itself could not start is the engine's failure, never the code's: the
    launcher said so (its child's set-up failed), or, isolated, the root-owned launcher the
    code cannot touch ended without its exit line although nobody stopped it."""
    vanished = raw.exit_code is None and raw.exit_signal is None and not raw.stopped
    if raw.setup_error or (isolate and vanished and not raw.problem):
        detail = raw.setup_error or raw.stderr.strip()[-500:] or "no exit report"
        logger.error("sandbox: a run could not start: %s", detail)
        raise EngineUnavailable(f"The sandbox could not start the run: {detail}")


class LocalEngine:
    name = "local"

    def __init__(self, conf: SandboxSettings | None = None) -> None:
        self.conf = conf or sandbox_settings()
        self.unshare = shutil.which("unshare") or ""

    def isolated(self) -> bool:
        if self.conf.isolation == "none":
            return False
        available = namespaces_available(self.unshare)
        if not available and self.conf.isolation == "namespaces":
            raise EngineUnavailable(
                "SANDBOX_ISOLATION=namespaces, but this worker cannot create namespaces "
                "(it must run as root with util-linux unshare)."
            )
        if not available:
            logger.warning("sandbox: namespaces unavailable; runs are limited but not isolated")
        return available

    def run(
        self, code: str | bytes, language: str, tests: TestSuite, limits: Limits | None = None
    ) -> RunResult:
        limits = limits or self.conf.limits
        text = validate_run_request(
            code=code, language=language, tests=tests, limits=limits, conf=self.conf
        )
        isolate = self.isolated()
        started = time.monotonic()
        with self._identity(isolate) as (uid, cwd):
            spec = {
                "language": language,
                "isolate": isolate,
                "uid": uid,
                "gid": uid,
                "limits": limits.to_dict(),
                "hide": list(self.conf.hide_paths),
                "node": self.conf.node,
                "harness": source(HARNESS[language]),
                "job": {
                    "code": text,
                    "entrypoint": tests.entrypoint,
                    "args": [list(case.args) for case in tests.cases],
                    "output_bytes": limits.output_bytes,
                    "value_cap": VALUE_CAP,
                    "line_cap": line_cap(limits.output_bytes),
                },
            }
            read_fd, write_fd = os.pipe()
            spec["results_fd"] = write_fd
            launcher = [self.conf.python, "-I", "-S", "-c", source("launcher.py")]
            argv = [self.unshare, *UNSHARE, *launcher] if isolate else launcher
            raw = watch(
                argv,
                stdin=json.dumps(spec).encode("utf-8"),
                env=dict(RUN_ENV),
                cwd=cwd,
                results_fd=write_fd,
                read_fd=read_fd,
                wall_seconds=limits.wall_seconds,
                output_bytes=limits.output_bytes,
                results_cap=(len(tests.cases) + 2) * line_cap(limits.output_bytes),
            )
            no_exit_line = raw.exit_code is None and raw.exit_signal is None
            if isolate and (raw.stopped or raw.problem or no_exit_line):
                # Killed from outside: the kernel is still tearing the namespace down. The uid
                # is handed to the next run only once nothing runs under it any more.
                _wait_until_gone(uid)
        _raise_if_the_sandbox_failed(raw, isolate)
        return result_from_raw(
            raw, suite=tests, limits=limits, duration=time.monotonic() - started,
            engine=self.name, extra={"isolated": isolate, "wall_seconds": limits.wall_seconds},
        )  # fmt: skip

    @contextmanager
    def _identity(self, isolate: bool) -> Iterator[tuple[int | None, str]]:
        """(uid, working directory) for one run. Isolated runs get a uid nobody else is using
        (a lock file per uid) and work in their private /tmp; the others an empty directory."""
        if not isolate:
            with tempfile.TemporaryDirectory(prefix="sandbox-run-") as cwd:
                yield None, cwd
            return
        with self._uid_slot() as uid:
            yield uid, "/"

    @contextmanager
    def _uid_slot(self) -> Iterator[int]:
        os.makedirs(self.conf.state_dir, mode=0o700, exist_ok=True)
        count = self.conf.uid_count
        first = random.randrange(count)
        for step in range(count):
            uid = self.conf.uid_base + (first + step) % count
            handle: IO[Any] = open(os.path.join(self.conf.state_dir, f"uid-{uid}.lock"), "a")  # noqa: SIM115
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield uid
            finally:
                handle.close()  # closing releases the lock
            return
        raise EngineUnavailable(
            f"All {count} sandbox uids are in use (SANDBOX_UID_COUNT): too many runs at once."
        )


__all__ = ["InvalidRunRequest", "LocalEngine", "namespaces_available"]
