"""A fake Piston v2 server on 127.0.0.1 for the client's tests: the real routes, request checks
and response shapes (200 with a run stage, 400 {"message"}, 500 with an empty body), running the
main file with the system's interpreters. `mode` switches in faults: "ok", "error" (500),
"slow" (answers after `delay` seconds), "garbage" (200 that is not JSON), "internal" (200 with
isolate's internal-error status XX)."""

import contextlib
import json
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from resilience.breakers.registry import reset_registry

RUNTIMES: list[dict[str, Any]] = [
    {"language": "python", "version": "3.10.0", "aliases": ["py", "python3"]},
    {"language": "javascript", "version": "18.15.0", "aliases": ["node-javascript", "js"],
     "runtime": "node"},
]  # fmt: skip
COMMANDS = {"python": ["python3"], "javascript": ["node"]}
OUTPUT_MAX = 65536
RUN_TIMEOUT_MAX = 3000  # ms: the server's own limit, as Piston's configured run timeout


def execute(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    language, version = body.get("language"), body.get("version")
    if not isinstance(language, str):
        return 400, {"message": "language is required as a string"}
    if not isinstance(version, str):
        return 400, {"message": "version is required as a string"}
    files = body.get("files")
    if not isinstance(files, list):
        return 400, {"message": "files is required as an array"}
    runtime = next(
        (r for r in RUNTIMES if language in (r["language"], *r["aliases"])
         and version in (r["version"], "*")),
        None,
    )  # fmt: skip
    if runtime is None:
        return 400, {"message": f"{language}-{version} runtime is unknown"}
    timeout = body.get("run_timeout") or RUN_TIMEOUT_MAX
    if timeout > RUN_TIMEOUT_MAX:
        return 400, {
            "message": f"run_timeout cannot exceed the configured limit of {RUN_TIMEOUT_MAX}"
        }
    with tempfile.TemporaryDirectory() as box:
        names = []
        for i, file in enumerate(files):
            name = file.get("name") or f"file{i}"
            Path(box, name).write_text(file["content"])
            names.append(name)
        started = time.monotonic()
        run: dict[str, Any] = {"signal": None, "status": None, "message": None}
        try:
            done = subprocess.run(
                [*COMMANDS[runtime["language"]], names[0], *body.get("args", [])],
                input=body.get("stdin", "").encode(), capture_output=True, cwd=box,
                timeout=timeout / 1000, check=False,
            )  # fmt: skip
            stdout, stderr, code = done.stdout.decode(), done.stderr.decode(), done.returncode
        except subprocess.TimeoutExpired as exc:
            stdout = (exc.stdout or b"").decode()
            stderr, code = (exc.stderr or b"").decode(), None
            run.update(signal="SIGKILL", status="TO", message="Time limit exceeded (wall clock)")
        if len(stdout) > OUTPUT_MAX:
            stdout = stdout[:OUTPUT_MAX]
            run.update(signal="SIGKILL", status="OL", message="stdout length exceeded")
        wall = (time.monotonic() - started) * 1000
        run.update(stdout=stdout, stderr=stderr, output=stdout + stderr, code=code,
                   memory=8_000_000, cpu_time=wall, wall_time=wall)  # fmt: skip
        return 200, {"language": runtime["language"], "version": runtime["version"], "run": run}


class FakePiston:
    def __init__(self) -> None:
        self.mode = "ok"
        self.delay = 0.0
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append(f"GET {self.path}")
                if self.path == "/api/v2/runtimes":
                    self.reply(200, RUNTIMES)
                else:
                    self.reply(404, {"message": "Not found"})

            def do_POST(self) -> None:
                fake.requests.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length", 0))
                payload = self.rfile.read(length)
                if self.path != "/api/v2/execute":
                    return self.reply(404, {"message": "Not found"})
                if not self.headers.get("Content-Type", "").startswith("application/json"):
                    return self.reply(415, {"message": "requests must be of type application/json"})
                if fake.mode == "error":
                    return self.reply(500, None)
                if fake.mode == "slow":
                    time.sleep(fake.delay)
                if fake.mode == "garbage":
                    return self.reply(200, "<html>proxy error</html>", raw=True)
                if fake.mode == "internal":
                    run = {"stdout": "", "stderr": "", "output": "", "code": None,
                           "signal": None, "status": "XX",
                           "message": "box setup failed"}  # fmt: skip
                    body = {"language": "python", "version": "3.10.0", "run": run}
                    return self.reply(200, body)
                status, body = execute(json.loads(payload))
                self.reply(status, body)

            def reply(self, status: int, body: Any, raw: bool = False) -> None:
                text = body if raw else json.dumps(body)
                data = b"" if body is None else text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)  # fails when the client gave up (its timeout)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def executions(self) -> int:
        return sum(1 for r in self.requests if r == "POST /api/v2/execute")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def piston_engine(settings: Any, **overrides: Any) -> Iterator[FakePiston]:
    """A fake Piston as the sandbox engine, through the `sandbox` breaker in this process's
    memory with fast retries; `overrides` are further settings (SANDBOX_*, MAX_RETRY_ATTEMPTS,
    the breaker's policy under BREAKERS)."""
    server = FakePiston()
    settings.SANDBOX_ENGINE = "sandbox.engines.piston.PistonEngine"
    settings.SANDBOX_PISTON_URL = server.url
    settings.SANDBOX_PISTON_TIMEOUT_SECONDS = 1.0
    settings.RETRY_BASE_DELAY = 0.01
    settings.RETRY_MAX_DELAY = 0.05
    settings.BREAKER_STORE = "resilience.breakers.stores.memory.MemoryStore"
    for name, value in overrides.items():
        setattr(settings, name, value)
    reset_registry()
    try:
        yield server
    finally:
        reset_registry()
        server.close()
