"""ASGI wrappers that must act before Django sees a request.

- BodySizeLimit: Django's ASGIHandler reads the whole body into a temporary file before any
  middleware runs, so a too-large upload must be stopped here: by Content-Length before
  reading anything, and for bodies without one (chunked) as soon as the bytes received pass
  MAX_REQUEST_SIZE_BYTES. It answers 413 with the error envelope and stops reading.
- RequestId (outermost): binds the request id for the whole request or socket, so every log
  line carries it, including Django's own request log written after the middleware ran, and
  the tasks a socket enqueues.
- StaticFiles: Django's static handler (embedded default, SERVE_STATIC), where a path that
  leads outside the static directories (`/static/%2e%2e/…`) is not found, instead of the
  SuspiciousFileOperation that Django's handler answers with a bare 500 and a traceback.
- lifespan: on start-up a web process builds the interviewer chain and checks that the Redis
  server has REDIS_URL's four databases (a bad LLM configuration or a missing database stops
  it there); on shutdown it removes its live Prometheus gauges.
"""

import asyncio
import gc
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest

from interviews.shutdown import install_signal_hook
from monitoring import errors
from monitoring.context import (
    REQUEST_ID_HEADER,
    bind_request_id,
    current_request_id,
    request_id_from,
    unbind_request_id,
)
from monitoring.hooks import mark_process_dead
from monitoring.metrics import observe_request

logger = logging.getLogger(__name__)


class StaticFiles(ASGIStaticFilesHandler):
    def serve(self, request: HttpRequest) -> FileResponse:
        try:
            return super().serve(request)
        except SuspiciousFileOperation as exc:
            # A probe, not a failure: the handler answers Http404 with the project's 404 page.
            raise Http404("not a static file") from exc


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]

TOO_LARGE_ROUTE = "<body-too-large>"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class BodySizeLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        limit = settings.MAX_REQUEST_SIZE_BYTES
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, send, f"Content-Length {declared}", started)
            return

        received = 0
        rejected = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    rejected = True
                    if not response_started:
                        await self._reject(scope, send, f"{received}+ bytes received", started)
                    # Django stops reading and answers nothing more.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if rejected:
                return  # our 413 is the answer
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)

    @staticmethod
    async def _reject(scope: Scope, send: Send, what: str, started: float) -> None:
        request_id = current_request_id() or request_id_from(_header(scope, b"x-request-id"))
        limit = settings.MAX_REQUEST_SIZE_BYTES
        info = errors.ErrorInfo.standard(413, f"{what} exceeds MAX_REQUEST_SIZE_BYTES ({limit})")
        body = errors.envelope(
            info,
            error_id=uuid.uuid4().hex,
            request_id=request_id,
            privileged=settings.DEBUG,
        )
        logger.warning("request body too large: %s > %s bytes", what, limit)
        payload = json.dumps(body).encode()
        elapsed = time.perf_counter() - started
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"connection", b"close"),
            (REQUEST_ID_HEADER.lower().encode(), request_id.encode()),
            (b"x-response-time", f"{elapsed * 1000:.1f}ms".encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        observe_request(scope.get("method", ""), TOO_LARGE_ROUTE, 413, elapsed)


class RequestId:
    """Binds a request id (the client's X-Request-ID if valid) for a request or socket."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = bind_request_id(request_id_from(_header(scope, b"x-request-id")))
        try:
            await self.app(scope, receive, send)
        finally:
            unbind_request_id(token)


def warm_up() -> None:
    """Build the interviewer chain before the first request: the offline interviewer compiles
    its question bank's patterns (seconds on a busy machine), which the first candidate of
    every new process would otherwise wait for. Then make sure the Redis server has
    REDIS_URL's four databases (monitoring/redis_check.py): a process on a server without
    them would start, then fail every cache and breaker-store call."""
    from django.core.exceptions import ImproperlyConfigured
    from redis.exceptions import RedisError

    from interviews.llm.gateway import get_interviewer
    from monitoring.redis_check import redis_databases_problem

    get_interviewer()
    if settings.REDIS_URL:
        try:
            problem = redis_databases_problem(settings.REDIS_URL)
        except (RedisError, OSError):
            problem = None  # unreachable now: /health/ready/ says so until it is back
        if problem:
            raise ImproperlyConfigured(problem)


# Full collections after this many middle-generation ones (CPython's default: 10).
FULL_COLLECTION_AFTER = 100


def tune_garbage_collector() -> None:
    """Keep CPython's cyclic garbage collector from stopping the event loop for long.

    A full collection walks every object the collector tracks, and a web process holding
    2,000 sockets tracks about 430,000: each one stopped everything for 100-370 ms, the tail
    of the answer latency (docs/performance.md, "The collector's pauses"). So:
    - what start-up loaded (Django, the apps, the libraries: about 125,000 objects, alive as
      long as the process) is frozen out of its reach; reference counting still frees them;
    - a full collection comes after 100 middle-generation collections instead of 10. Young
      cycles are collected as often as before; an old one (a closed socket's) waits for the
      next full collection, ten times later. Memory at 2,000 sockets and over connect and
      disconnect cycles stays as it was (the same section has the figures).
    """
    gc.collect()  # nothing start-up left over is frozen with the rest
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)
    logger.info(
        "%d start-up objects frozen out of the garbage collector; thresholds %s",
        gc.get_freeze_count(),
        gc.get_threshold(),
    )


async def lifespan(scope: Scope, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            started = time.perf_counter()
            try:
                await asyncio.to_thread(warm_up)
            except Exception as exc:  # a bad configuration must stop the process loudly
                logger.exception("start-up failed: %s", exc)
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            logger.info("interviewer chain ready in %.2f s", time.perf_counter() - started)
            tune_garbage_collector()
            install_signal_hook()  # SIGTERM closes the sockets with 1001 first
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            mark_process_dead()
            await send({"type": "lifespan.shutdown.complete"})
            return
