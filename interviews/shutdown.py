"""Stopping a web process: every candidate socket closed with 1001 within seconds of SIGTERM.

Left to itself, uvicorn closes WebSockets with 1012 and then waits, without a limit, for each
socket's application task: a socket whose handler waits on a slow LLM held a stopping process
for more than 30 s. Here the first SIGTERM (or SIGINT) first closes this process's sockets
with 1001 ("going away": the page reconnects, behind a proxy to another process) and cancels
their timers, then hands the signal on to uvicorn, which stops listening. A handler still
running after `SHUTDOWN_GRACE_SECONDS` is cancelled: what it did is committed or is redone on
the candidate's reconnect (an answer is acknowledged only once stored, and `interview_advance`
picks up an interviewer's move that was cut short). uvicorn's `--timeout-graceful-shutdown`
stays as the backstop for everything else. A second signal goes straight to uvicorn.

The hook is installed when the ASGI lifespan starts (monitoring/asgi.py), on the event loop's
thread, after uvicorn installed its own handlers; uvicorn restores the originals when it stops.
"""

import asyncio
import contextlib
import logging
import os
import queue
import signal
import threading
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, Future
from types import FrameType
from typing import Any, Protocol

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 3.0  # for a handler that is mid-way when the signal comes
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Closable(Protocol):
    task: "asyncio.Task[Any] | None"

    def going_away(self) -> Awaitable[None]: ...


_live: "weakref.WeakSet[Any]" = weakref.WeakSet()
_stopping = threading.Event()
_draining: "set[asyncio.Task[None]]" = set()


def socket_opened(consumer: Closable) -> None:
    _live.add(consumer)


def socket_closed(consumer: Closable) -> None:
    _live.discard(consumer)


def stopping() -> bool:
    """True once this process has been told to stop: new sockets are closed with 1001."""
    return _stopping.is_set()


async def drain(grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
    """Close every live socket with 1001 and wait up to `grace` s for their handlers to end;
    cancel those still running."""
    _stopping.set()
    consumers = list(_live)
    results = await asyncio.gather(*(c.going_away() for c in consumers), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            logger.warning("closing a socket on shutdown failed", exc_info=result)
    tasks = [c.task for c in consumers if c.task is not None and not c.task.done()]
    if tasks:
        _, running = await asyncio.wait(tasks, timeout=grace)
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=1.0)
    logger.info("closed %d socket(s) on shutdown", len(consumers))


def install_signal_hook() -> None:
    """Run `drain` before the server's own SIGTERM/SIGINT handling (call from the event loop)."""
    if threading.current_thread() is not threading.main_thread():
        return  # signals only reach the main thread; a server in a thread handles its own
    loop = asyncio.get_running_loop()
    for sig in SIGNALS:
        previous = signal.getsignal(sig)
        if callable(previous) and getattr(previous, "drains_sockets", False):
            continue  # already installed in this process
        signal.signal(sig, _hook(loop, previous))


def _hook(
    loop: asyncio.AbstractEventLoop, previous: Callable[[int, FrameType | None], Any] | Any
) -> Callable[[int, FrameType | None], None]:
    def hand_on(sig: int, frame: FrameType | None) -> None:
        if callable(previous):
            previous(sig, frame)
        elif previous == signal.SIG_DFL:
            _default(sig)

    async def drain_then_hand_on(sig: int, frame: FrameType | None) -> None:
        try:
            await drain()
        finally:
            hand_on(sig, frame)

    def start_draining(sig: int, frame: FrameType | None) -> None:
        logger.info("signal %s: closing this process's sockets with 1001", sig)
        task = loop.create_task(drain_then_hand_on(sig, frame))
        # The loop keeps only a weak reference to a task: one nobody holds may be collected
        # mid-way, and the signal would never reach the server.
        _draining.add(task)
        task.add_done_callback(_draining.discard)

    def on_signal(sig: int, frame: FrameType | None) -> None:
        if _stopping.is_set():
            hand_on(sig, frame)  # a second signal: the server's own (forced) exit
            return
        # Runs between two bytecodes of the loop's thread, maybe in the middle of a log line
        # being written: schedule, never log or await, here.
        loop.call_soon_threadsafe(start_draining, sig, frame)

    on_signal.drains_sockets = True  # type: ignore[attr-defined]
    return on_signal


def _default(sig: int) -> None:
    with contextlib.suppress(ValueError):
        signal.signal(sig, signal.SIG_DFL)
    signal.raise_signal(sig)


class DaemonThreadPool(Executor):
    """A fixed number of daemon worker threads, started on first use.

    For the calls that wait on the LLM. A stopping process does not wait for them: Python joins
    ThreadPoolExecutor's threads at exit (so an LLM call in flight held the exit for up to
    LLM_TIMEOUT_SECONDS), never daemon threads. Cutting such a call short loses nothing: its
    transaction is rolled back with the connection, and the move is made again on reconnect.
    """

    def __init__(self, workers: int, name: str) -> None:
        self._workers = workers
        self._name = name
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]]
        self._jobs = queue.SimpleQueue()
        self._started = 0
        self._lock = threading.Lock()

    @property
    def threads(self) -> int:
        """How many worker threads have started so far."""
        return self._started

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> "Future[Any]":
        if kwargs:
            raise TypeError("DaemonThreadPool.submit takes positional arguments only")
        future: Future[Any] = Future()
        self._jobs.put((future, fn, args))
        with self._lock:
            if self._started < self._workers:
                self._started += 1
                name = f"{self._name}-{self._started}"
                threading.Thread(target=self._work, name=name, daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            future, fn, args = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed to the caller through the future
                future.set_exception(exc)


def default_workers() -> int:
    """As many threads as asyncio's default executor would use."""
    return min(32, (os.cpu_count() or 1) + 4)
