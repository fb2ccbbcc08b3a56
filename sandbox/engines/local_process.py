"""One sandbox process, watched from outside: its input written, its output read within caps,
and the whole process group killed at the wall limit, at the output cap, or when it ends."""

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from typing import Any

from sandbox.types import EngineUnavailable, Limit
from sandbox.verdict import RawRun, read_result_lines

TRUNCATED = "\n[output truncated: the run printed more than {limit} bytes]"
READ_CHUNK = 65536


def _feed(stream: Any, data: bytes) -> None:
    # Written, not closed: the launcher keeps its stdin as a lifeline and ends the run when
    # it closes, which happens when the watch ends or when this worker process dies.
    with contextlib.suppress(OSError):  # it died before reading its input; its exit says why
        stream.write(data + b"\n")
        stream.flush()


def watch(
    argv: Sequence[str], *, stdin: bytes, env: dict[str, str], cwd: str, results_fd: int,
    read_fd: int, wall_seconds: float, output_bytes: int, results_cap: int,
) -> RawRun:  # fmt: skip
    """Run `argv` to its end or to a limit; `results_fd` is the write end of the result pipe
    (passed to the process), `read_fd` its read end (closed here)."""
    raw = RawRun()
    started = time.monotonic()
    try:
        proc = subprocess.Popen(  # noqa: S603 (argv is built from settings, never from input)
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=(results_fd,), env=env, cwd=cwd, start_new_session=True,
        )  # fmt: skip
    except OSError as exc:
        os.close(results_fd)
        os.close(read_fd)
        raise EngineUnavailable(f"The sandbox could not start the run: {exc}") from exc
    os.close(results_fd)
    writer = threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True)
    writer.start()
    assert proc.stdout is not None
    assert proc.stderr is not None
    outputs = {"stdout": bytearray(), "stderr": bytearray()}
    results = bytearray()
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "stdout")
    sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
    results_file = os.fdopen(read_fd, "rb", buffering=0)
    sel.register(results_file, selectors.EVENT_READ, "results")
    deadline = started + wall_seconds
    try:
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raw.stopped = Limit.WALL_TIME
                break
            for key, _ in sel.select(timeout=min(left, 0.5)):
                data = os.read(key.fd, READ_CHUNK)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                if key.data == "results":
                    results += data
                    if len(results) > results_cap:
                        raw.problem = "The run wrote more test results than it could have."
                        break
                    continue
                outputs[key.data] += data
                if len(outputs["stdout"]) + len(outputs["stderr"]) > output_bytes:
                    raw.stopped = Limit.OUTPUT
                    break
            if raw.stopped or raw.problem:
                break
    finally:
        # The session's process group: every process the run started unless one left it
        # with setsid, and those die with the PID namespace when its first process is gone.
        _kill_group(proc)
        proc.wait()
        writer.join(timeout=1)
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        sel.close()
        results_file.close()
        proc.stdout.close()
        proc.stderr.close()
    raw.stdout = _text(outputs["stdout"], output_bytes)
    raw.stderr = _text(outputs["stderr"], output_bytes)
    read_result_lines(raw, bytes(results).split(b"\n"))
    return raw


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(proc.pid, signal.SIGKILL)


def _text(data: bytearray, limit: int) -> str:
    text = bytes(data[:limit]).decode("utf-8", errors="replace")
    return text + TRUNCATED.format(limit=limit) if len(data) > limit else text
