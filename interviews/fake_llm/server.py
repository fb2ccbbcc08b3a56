"""A fault-injecting fake LLM: OpenAI Chat Completions and Anthropic Messages over real HTTP.

Tests, benchmarks and outage drills point the real provider clients at it, then break it on
purpose through `/_control` (docs/operations.md, "Drilling an LLM outage").

It is a plain ASGI callable served by uvicorn rather than a hand-rolled asyncio server:
uvicorn is already a dependency and parses HTTP properly, and on asyncio a "hang" is a
request waiting on an Event, which costs no thread, so held requests never block other
requests or the control endpoint. State is touched only on the server's event loop, so it
needs no locks; other threads go through HTTP (`FakeLLMHandle`).
"""

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import uvicorn

from interviews.fake_llm import content as fake_content
from interviews.fake_llm.control import (
    TRICKLE_BYTES,
    ControlError,
    FakeLLMState,
    make_state,
    validate_settings,
)
from interviews.fake_llm.embeddings import embeddings_body, embeddings_inputs, embeddings_problem
from interviews.fake_llm.wire import (
    Receive,
    Scope,
    Send,
    completion,
    drop_connection,
    echo,
    error_body,
    has_key,
    read_body,
    request_problem,
    send_json,
    send_trickle,
    system_text,
    until_disconnect,
)

CONTROL_PATH = "/_control"
DIALECTS = {"/v1/chat/completions": "openai", "/v1/messages": "anthropic"}
EMBEDDINGS_PATH = "/v1/embeddings"
# outcome -> HTTP status of the provider-shaped error it answers with
_ERROR_STATUS = {
    "bad_request": 400,
    "unauthorized": 401,
    "rate_limit": 429,
    "error500": 500,
    "closing": 503,
    "overloaded": 529,  # Anthropic's "overloaded_error"; OpenAI answers 503 (see _llm)
}


class FakeLLMApp:
    """The ASGI application. One instance per server; see the module docstring."""

    def __init__(self, state: FakeLLMState | None = None) -> None:
        self.state = state or FakeLLMState()
        # Replaced on every mode change so that held requests wake up and look again.
        self._mode_changed = asyncio.Event()
        self._closing = asyncio.Event()

    def release_all(self) -> None:
        """Wake every held request; they answer 503. Call on the server's loop."""
        self._closing.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan and websockets are switched off in uvicorn's config
        path, method = scope["path"], scope["method"]
        if path == CONTROL_PATH:
            await self._control(method, receive, send)
        elif path == EMBEDDINGS_PATH and method == "POST":
            await self._embeddings(scope, receive, send)
        elif path not in DIALECTS and path != EMBEDDINGS_PATH:
            await send_json(send, 404, {"error": {"message": f"No route for {path}"}})
        elif method != "POST":
            await send_json(send, 405, {"error": {"message": f"{method} is not allowed here"}})
        else:
            await self._llm(DIALECTS[path], scope, receive, send)

    async def _control(self, method: str, receive: Receive, send: Send) -> None:
        if method == "GET":
            await send_json(send, 200, self.state.snapshot())
            return
        if method != "POST":
            await send_json(send, 405, {"error": "use GET to read or POST to change"})
            return
        body = await read_body(receive)
        try:
            changes = json.loads(body or b"")
        except ValueError:
            changes = None
        if not isinstance(changes, dict):
            await send_json(send, 400, {"error": "body must be a JSON object"})
            return
        try:
            checked = validate_settings(changes)
        except ControlError as exc:
            await send_json(send, 400, {"error": str(exc), "field": exc.field})
            return
        old_mode = self.state.mode
        self.state.apply(checked)
        if self.state.mode != old_mode:
            self._mode_changed.set()
            self._mode_changed = asyncio.Event()
        await send_json(send, 200, self.state.snapshot())

    async def _wait(self, receive: Receive, seconds: float | None, *, hang: bool) -> str:
        """Sleep `seconds` (None: until woken). Returns "elapsed" or what cut it short:
        "closing" (shutdown), "abandoned" (client disconnected), "mode_changed" (hang only)."""
        waiters = {
            asyncio.ensure_future(self._closing.wait()): "closing",
            asyncio.ensure_future(until_disconnect(receive)): "abandoned",
        }
        if hang:
            waiters[asyncio.ensure_future(self._mode_changed.wait())] = "mode_changed"
        done, pending = await asyncio.wait(
            waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
        reasons = {waiters[task] for task in done}
        return next(
            (r for r in ("closing", "abandoned", "mode_changed") if r in reasons), "elapsed"
        )

    async def _hang(self, receive: Receive) -> str:
        """Hold the request until the mode changes (then act on the new mode), the client
        gives up, or the server shuts down."""
        self.state.hanging += 1
        try:
            while self.state.mode == "hang":
                why = await self._wait(receive, None, hang=True)
                if why != "mode_changed":
                    return why
            return self.state.mode
        finally:
            self.state.hanging -= 1

    async def _llm(self, dialect: str, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        body = await read_body(receive)
        if body is None:
            return
        headers = dict(scope["headers"])
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        messages = payload.get("messages") if isinstance(payload, dict) else None
        task, reply = fake_content.reply_for(
            messages, obey_injections=state.obey_injections, broken_code=state.broken_code
        )
        state.requests += 1
        state.by_path[scope["path"]] += 1
        state.by_task[task] += 1
        # Rolled for every request, whatever the mode, so a seeded run stays reproducible
        # across mode changes.
        faulty = state.rng.random() < state.fail_rate
        problem = request_problem(dialect, headers, payload)
        outcome = await self._outcome(dialect, headers, problem, receive, faulty=faulty)
        state.by_outcome[outcome] += 1
        if outcome == "abandoned":
            return
        if outcome == "drop":
            await drop_connection(receive, send)
        elif outcome in _ERROR_STATUS:
            await self._error(send, dialect, outcome, problem)
        else:
            text = reply
            if outcome == "malformed":
                text = fake_content.malformed(reply)
            elif outcome == "echo":
                text = echo(task, system_text(payload), reply)
            prompt = fake_content.last_user_text(messages)
            reply_body = completion(dialect, payload["model"], prompt, text)
            if outcome != "trickle":
                await send_json(send, 200, reply_body)
                return

            async def pause() -> bool:
                why = await self._wait(receive, state.trickle_ms / 1000, hang=False)
                return why == "elapsed"

            await send_trickle(send, reply_body, chunk=TRICKLE_BYTES, pause=pause)

    async def _embeddings(self, scope: Scope, receive: Receive, send: Send) -> None:
        """OpenAI's embeddings endpoint, with the same fault modes as chat ("malformed": one
        vector short; "echo": answered normally, there is no prompt to echo)."""
        state = self.state
        body = await read_body(receive)
        if body is None:
            return
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        state.requests += 1
        state.by_path[EMBEDDINGS_PATH] += 1
        state.by_task["embeddings"] += 1
        faulty = state.rng.random() < state.fail_rate
        problem = embeddings_problem(payload)
        headers = dict(scope["headers"])
        outcome = await self._outcome("openai", headers, problem, receive, faulty=faulty)
        state.by_outcome[outcome] += 1
        if outcome == "abandoned":
            return
        if outcome == "drop":
            await drop_connection(receive, send)
            return
        if outcome in _ERROR_STATUS:
            await self._error(send, "openai", outcome, problem)
            return
        assert isinstance(payload, dict)  # a bad body is "bad_request" above
        reply_body = embeddings_body(
            payload["model"], embeddings_inputs(payload) or [], malformed=outcome == "malformed"
        )
        if outcome != "trickle":
            await send_json(send, 200, reply_body)
            return

        async def pause() -> bool:
            why = await self._wait(receive, state.trickle_ms / 1000, hang=False)
            return why == "elapsed"

        await send_trickle(send, reply_body, chunk=TRICKLE_BYTES, pause=pause)

    async def _error(self, send: Send, dialect: str, outcome: str, problem: str) -> None:
        status = _ERROR_STATUS[outcome]
        if outcome == "overloaded" and dialect == "openai":
            status = 503
        extra = {}
        if outcome in ("rate_limit", "overloaded"):
            extra["retry-after"] = str(self.state.retry_after)
        if outcome == "closing":
            extra["connection"] = "close"
        message = problem if status == 400 else None
        await send_json(send, status, error_body(dialect, status, message), extra)

    async def _outcome(
        self,
        dialect: str,
        headers: Mapping[bytes, bytes],
        problem: str,
        receive: Receive,
        *,
        faulty: bool,
    ) -> str:
        """How to answer: "ok", a fault mode, or "unauthorized" / "bad_request" / "abandoned" /
        "closing". Latency comes first because it delays every answer, errors included."""
        if self.state.latency_ms:
            why = await self._wait(receive, self.state.latency_ms / 1000, hang=False)
            if why != "elapsed":
                return why
        # A real provider checks the key and the request before anything can go wrong, so
        # client bugs show up as 401/400 even during a drill.
        if not has_key(dialect, headers):
            return "unauthorized"
        if problem:
            return "bad_request"
        mode = self.state.mode if faulty else "ok"
        return await self._hang(receive) if mode == "hang" else mode


class _Server(uvicorn.Server):
    """uvicorn waits for open requests before it stops, so held requests go first."""

    def __init__(self, config: uvicorn.Config, app: FakeLLMApp) -> None:
        super().__init__(config)
        self.fake_app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.fake_app.release_all()
        await super().shutdown(sockets=sockets)


def _bind(host: str, port: int) -> socket.socket:
    # Binding before uvicorn starts means port 0 works and the real port is known up front.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def _server(app: FakeLLMApp, *, quiet: bool, access_log: bool = True) -> _Server:
    logging_options: dict[str, Any] = {"log_config": None, "log_level": None} if quiet else {}
    config = uvicorn.Config(
        app,
        interface="asgi3",
        lifespan="off",
        ws="none",
        proxy_headers=False,
        server_header=False,
        access_log=access_log and not quiet,
        timeout_graceful_shutdown=5,  # a backstop; held requests are released anyway
        **logging_options,
    )
    return _Server(config, app)


def serve(
    host: str = "127.0.0.1",
    port: int = 8088,
    *,
    access_log: bool = True,
    on_ready: Callable[[str], None] | None = None,
    **options: Any,
) -> None:
    """Run in the foreground until SIGINT/SIGTERM (the management command)."""
    app = FakeLLMApp(make_state(**options))
    sock = _bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    if on_ready is not None:
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        on_ready(f"http://{shown}:{bound_port}")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the normal way to stop it
        _server(app, quiet=False, access_log=access_log).run(sockets=[sock])


class FakeLLMHandle:
    """A running fake LLM, seen from another thread (or process) through HTTP."""

    def __init__(self, base_url: str, port: int) -> None:
        self.base_url = base_url  # e.g. http://127.0.0.1:18080; OpenAI clients add "/v1"
        self.port = port
        # One pooled client: building an httpx.Client costs tens of milliseconds, which
        # adds up in tests and benchmarks that flip modes often.
        self.client = httpx.Client(base_url=base_url, timeout=10)

    def control(self, **changes: Any) -> dict[str, Any]:
        """Apply `changes` (mode, latency_ms, fail_rate, retry_after, seed, reset_counts)."""
        response = self.client.post(CONTROL_PATH, json=changes)
        if response.status_code == 400:
            error = response.json()
            raise ControlError(error.get("field", ""), error["error"])
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def status(self) -> dict[str, Any]:
        response = self.client.get(CONTROL_PATH)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


@contextlib.contextmanager
def run_fake_llm_in_thread(port: int = 0, **options: Any) -> Iterator[FakeLLMHandle]:
    """Serve on 127.0.0.1:`port` (0: any free port) in a background thread.

    Raises OSError if the port is taken and ControlError for bad options, both before any
    thread starts. Leaving the block stops the server, releasing held requests first.
    """
    app = FakeLLMApp(make_state(**options))
    sock = _bind("127.0.0.1", port)
    bound_port = sock.getsockname()[1]
    server = _server(app, quiet=True)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"fake-llm-{bound_port}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"fake LLM server on port {bound_port} did not start")
            time.sleep(0.01)
        handle = FakeLLMHandle(f"http://127.0.0.1:{bound_port}", bound_port)
        try:
            yield handle
        finally:
            handle.client.close()
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
