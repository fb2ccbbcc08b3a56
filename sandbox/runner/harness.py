# Python test harness, run by the launcher in the run's own process after the limits are set.
# JOB (given by the launcher): code, entrypoint, args (one list per test), output_bytes, and
# optionally fd and prefix (Piston has no spare fd: lines go to stdout after a per-run nonce).
# Each test calls the entry point with its arguments and writes one JSON line on fd 3: the
# returned value (never a verdict: the expected values are not in here), the error, the output
# it printed and its duration. The caller compares the values outside the sandbox.
import errno
import io
import json
import os
import sys
import time
import traceback

JOB = globals()["JOB"]  # given by the launcher
ME = os.getpid()
CAP = JOB["output_bytes"]
VALUE_CAP = JOB["value_cap"]
FD = JOB.get("fd", 3)
PREFIX = JOB.get("prefix", "")
TRACEBACK_CAP = 4000


class Capture(io.TextIOBase):
    """Keeps the first CAP characters written, counts the rest, and says how many were cut."""

    def __init__(self):
        self.parts = []
        self.kept = 0
        self.dropped = 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = CAP - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def value(self):
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[output truncated: {self.dropped} more characters]"
        return text


def emit(obj):
    data = ("\n" + PREFIX + json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(FD, data) :]


def limit_of(exc):
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, OSError) and exc.errno in (errno.EFBIG, errno.ENOSPC, errno.EDQUOT):
        return "file_size"
    if isinstance(exc, OSError) and exc.errno == errno.EAGAIN:
        return "processes"  # fork or thread creation refused by the process limit
    if isinstance(exc, RuntimeError) and "new thread" in str(exc):
        return "processes"
    return None


def describe(exc):
    # The candidate's frames only: the harness's own are noise to them.
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "solution.py"]
    lines = traceback.format_list(frames[-5:]) + traceback.format_exception_only(type(exc), exc)
    text = "".join(lines).strip()
    return text[-TRACEBACK_CAP:]


def encoded(returned):
    """(the value as JSON data, "") or (None, why it cannot be reported)."""
    try:
        text = json.dumps(returned)
    except (TypeError, ValueError, RecursionError) as exc:
        return None, f"the function returned a value that is not JSON data ({exc})"
    if len(text) > VALUE_CAP:
        return None, f"the function returned {len(text)} characters of JSON; at most {VALUE_CAP}"
    return json.loads(text), ""


def run():
    real_out, real_err = sys.stdout, sys.stderr
    loading = Capture()
    sys.stdout = sys.stderr = loading
    scope = {"__name__": "solution", "__builtins__": __builtins__}
    try:
        exec(compile(JOB["code"], "solution.py", "exec"), scope)  # noqa: S102
        function = scope.get(JOB["entrypoint"])
        if not callable(function):
            raise NameError(f"no function named {JOB['entrypoint']!r} is defined")
    except BaseException as exc:
        if os.getpid() != ME:
            os._exit(0)
        sys.stdout, sys.stderr = real_out, real_err
        emit({"kind": "load", "error": describe(exc), "limit": limit_of(exc),
              "output": loading.value()})  # fmt: skip
        return
    finally:
        if os.getpid() != ME:
            os._exit(0)  # a process the code forked never reports
    sys.stdout, sys.stderr = real_out, real_err
    real_out.write(loading.value())
    real_out.flush()
    for index, args in enumerate(JOB["args"]):
        capture = Capture()
        sys.stdout = sys.stderr = capture
        value, error, limit = None, "", None
        started = time.perf_counter()
        returned = None
        try:
            returned = function(*args)
        except BaseException as exc:
            error, limit = describe(exc), limit_of(exc)
        finally:
            if os.getpid() != ME:
                os._exit(0)
        duration = time.perf_counter() - started
        sys.stdout, sys.stderr = real_out, real_err
        if not error:
            value, error = encoded(returned)
        emit({"kind": "test", "index": index, "ok": not error, "value": value, "error": error,
              "limit": limit, "duration": duration, "output": capture.value()})  # fmt: skip


run()
