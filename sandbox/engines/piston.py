"""The production engine: a client for Piston's HTTP API, v2 (docs/sandbox.md, "Piston").

    GET  /api/v2/runtimes  -> [{"language", "version", "aliases", "runtime"?}, ...]
    POST /api/v2/execute   {"language", "version", "files": [{"name", "content"}], "stdin",
                            "args", "run_timeout", "compile_timeout", "run_cpu_time",
                            "run_memory_limit"}  (times in milliseconds, memory in bytes)
      200 {"language", "version", "run": {"stdout", "stderr", "output", "code", "signal",
           "status"?, "message"?, "memory"?, "cpu_time"?, "wall_time"?}, "compile"?: {...}}
      400 {"message": "..."}  (unknown runtime, a limit above the server's own, bad body)
      500 (empty body: the execution failed inside Piston)

`status` (and `message`, `memory`, `cpu_time`, `wall_time`) come from isolate in recent
Piston versions: TO time limit, OL/EL stdout/stderr limit, SG killed by a signal, RE runtime
error, XX internal error. Older servers send only code and signal; both are understood.

The run's harness is the local runner's, sent as the main file; its result lines go to stdout
after a nonce (Piston has no spare file descriptor), and the verdicts are reached here.

Each attempt goes through the `sandbox` breaker and the shared retry policy: timeouts,
connection errors and 5xx count against Piston and are retried; a 4xx is Piston answering
(EngineRejected, not retried); an open breaker fails fast with EngineUnavailable.
"""

import json
import logging
import secrets
import signal
import time
from dataclasses import replace
from typing import Any

import httpx

from resilience.breakers import BreakerOpen, get_breaker
from resilience.retry import retrying
from sandbox.conf import SandboxSettings, sandbox_settings
from sandbox.runner import VALUE_CAP, source
from sandbox.types import EngineRejected, EngineUnavailable, Limit, Limits, RunResult, TestSuite
from sandbox.validation import validate_run_request
from sandbox.verdict import RawRun, read_result_lines, result_from_raw

logger = logging.getLogger(__name__)

BREAKER = "sandbox"
COMPILE_TIMEOUT_MS = 10_000
MAIN_FILE = {"python": "main.py", "javascript": "main.js", "sql": "main.py"}
HARNESS = {"python": "harness.py", "javascript": "harness.js", "sql": "harness_sql.py"}
# SQL runs on SQLite inside Python's runtime, as in the local runner.
RUNTIME = {"python": "python", "javascript": "javascript", "sql": "python"}
# The Python harness expects JOB as a global; Piston gives the job on stdin.
PYTHON_PRELUDE = "import json as _json, sys as _sys\nJOB = _json.loads(_sys.stdin.read())\n"
TRUNCATED = "\n[output truncated: the run printed more than {limit} bytes]"


class PistonProtocolError(RuntimeError):
    """A 200 response that is not Piston's shape: counted against Piston by the breaker."""


class PistonEngine:
    name = "piston"

    def __init__(self, conf: SandboxSettings | None = None, client: httpx.Client | None = None):
        self.conf = conf or sandbox_settings()
        self.client = client or httpx.Client(base_url=self.conf.piston_url)

    def runtimes(self) -> list[dict[str, Any]]:
        """What the server has installed (GET /api/v2/runtimes), through the breaker."""
        response = self._guarded(lambda: self._get("/api/v2/runtimes"), timeout=10.0)
        data = response.json()
        if not isinstance(data, list):
            raise PistonProtocolError("GET /api/v2/runtimes did not return a list")
        return data

    def run(
        self, code: str | bytes, language: str, tests: TestSuite, limits: Limits | None = None
    ) -> RunResult:
        limits = limits or self.conf.limits
        text = validate_run_request(
            code=code, language=language, tests=tests, limits=limits, conf=self._languages()
        )
        runtime = RUNTIME[language]
        version = self.conf.piston_runtimes.get(runtime, "*")
        nonce = secrets.token_hex(16)
        job = {
            "code": text,
            "entrypoint": tests.entrypoint,
            "args": [list(case.args) for case in tests.cases],
            "output_bytes": limits.output_bytes,
            "value_cap": VALUE_CAP,
            "fd": 1,
            "prefix": nonce,
        }
        harness = source(HARNESS[language])
        body = {
            "language": runtime,
            "version": version,
            "files": [
                {
                    "name": MAIN_FILE[language],
                    "content": harness if runtime == "javascript" else PYTHON_PRELUDE + harness,
                }
            ],
            "stdin": json.dumps(job),
            "args": [],
            "compile_timeout": COMPILE_TIMEOUT_MS,
            "run_timeout": int(limits.wall_seconds * 1000),
            "run_cpu_time": int(limits.cpu_seconds * 1000),
            "run_memory_limit": limits.memory_bytes,
        }
        timeout = limits.wall_seconds + self.conf.piston_timeout_seconds
        started = time.monotonic()
        response = self._guarded(lambda: self._post(body, timeout), timeout=timeout)
        raw = self._raw(response, nonce, limits)
        return result_from_raw(
            raw, suite=tests, limits=limits, duration=time.monotonic() - started,
            engine=self.name, extra={"version": response.json().get("version", version)},
        )  # fmt: skip

    # --- HTTP -------------------------------------------------------------------------------

    def _languages(self) -> SandboxSettings:
        # Piston decides what it runs: every language with a configured runtime is offered.
        return replace(self.conf, node="node" if "javascript" in self.conf.piston_runtimes else "")

    def _get(self, path: str) -> httpx.Response:
        response = self.client.get(path, timeout=10.0)
        return self._checked(response)

    def _post(self, body: dict[str, Any], timeout: float) -> httpx.Response:
        response = self.client.post("/api/v2/execute", json=body, timeout=timeout)
        return self._checked(response)

    def _checked(self, response: httpx.Response) -> httpx.Response:
        if 400 <= response.status_code < 500:
            raise EngineRejected(
                f"Piston refused the request (HTTP {response.status_code}): {_message(response)}",
                status_code=response.status_code,
            )
        response.raise_for_status()  # 5xx: counted against Piston, retried
        try:
            data = response.json()
        except ValueError:
            raise PistonProtocolError("Piston answered with a body that is not JSON") from None
        run = data.get("run") if isinstance(data, dict) else None
        if isinstance(run, dict) and run.get("status") == "XX":
            # isolate's internal error: Piston's sandbox failed, not the code. Counted against
            # Piston by the breaker, and never reported as the code's result.
            raise PistonProtocolError(f"Piston's sandbox failed: {run.get('message') or 'XX'}")
        return response

    def _guarded(self, call: Any, *, timeout: float) -> httpx.Response:
        breaker = get_breaker(BREAKER)
        try:
            # Each attempt goes through the breaker, so one that opens mid-retry stops them.
            return retrying(deadline=timeout * 2)(breaker.call, call)
        except BreakerOpen as exc:
            raise EngineUnavailable(
                f"Piston's breaker is open; next trial in {exc.retry_after:.0f} s.",
                retry_after=exc.retry_after,
            ) from exc
        except (httpx.HTTPError, PistonProtocolError) as exc:
            logger.warning("piston: %s: %s", type(exc).__name__, exc)
            raise EngineUnavailable(f"Piston could not run the code: {exc}") from exc

    # --- the response -----------------------------------------------------------------------

    def _raw(self, response: httpx.Response, nonce: str, limits: Limits) -> RawRun:
        data = response.json()
        run = data.get("run") if isinstance(data, dict) else None
        if not isinstance(run, dict):
            raise EngineUnavailable("Piston's response has no run stage")
        raw = RawRun()
        marker = nonce.encode()
        stdout_lines: list[bytes] = []
        result_lines: list[bytes] = []
        for line in str(run.get("stdout") or "").encode().split(b"\n"):
            (result_lines if line.startswith(marker) else stdout_lines).append(line)
        read_result_lines(raw, (line[len(marker) :] for line in result_lines))
        raw.stdout = _capped(b"\n".join(stdout_lines).strip(b"\n"), limits.output_bytes)
        raw.stderr = _capped(str(run.get("stderr") or "").encode(), limits.output_bytes)
        raw.exit_code = run.get("code")
        raw.exit_signal = _signal_number(run.get("signal"))
        cpu_ms = run.get("cpu_time")
        raw.cpu_seconds = cpu_ms / 1000 if isinstance(cpu_ms, int | float) else None
        raw.stopped = _stopped(run, limits)
        return raw


def _stopped(run: dict[str, Any], limits: Limits) -> Limit | None:
    status = run.get("status")
    message = str(run.get("message") or "").lower()
    if status == "TO":
        return Limit.WALL_TIME if "wall" in message or not run.get("cpu_time") else Limit.CPU_TIME
    if status in ("OL", "EL"):
        return Limit.OUTPUT
    memory = run.get("memory")
    if isinstance(memory, int | float) and memory >= limits.memory_bytes * 0.95:
        return Limit.MEMORY
    if status is None and run.get("signal") == "SIGKILL":
        return Limit.WALL_TIME  # older Piston: SIGKILL is how it ends a run at its timeout
    return None


def _signal_number(name: object) -> int | None:
    if not isinstance(name, str):
        return None
    try:
        return int(signal.Signals[name])
    except KeyError:
        return None


def _capped(data: bytes, limit: int) -> str:
    text = data[:limit].decode("utf-8", errors="replace")
    return text + TRUNCATED.format(limit=limit) if len(data) > limit else text


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200] or "no message"
    message = data.get("message") if isinstance(data, dict) else None
    return str(message) if message else "no message"
