"""A per-process background thread for side effects that must not slow the caller.

Breaker transitions are decided on the hot path; writing their event rows, updating the state
mirror and sending alerts (mail, a webhook with its own timeout) happen here instead, after the
state change and off any lock. A failing job is logged and dropped; a full queue drops the new
job with a warning rather than blocking the guarded call.

`Batch` gathers frequent small writes (question cache hit counters, questions offered to the
cache) and hands them to such a thread together, so a burst costs one flush, not one each.
"""

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connections

logger = logging.getLogger(__name__)

Job = tuple[Callable[..., Any], dict[str, Any]]
K = TypeVar("K")
V = TypeVar("V")


class BackgroundWorker:
    def __init__(self, name: str, *, maxsize: int = 1000) -> None:
        self.name = name
        self._maxsize = maxsize
        self._lock = threading.Lock()
        self._pid = 0
        self._queue: queue.Queue[Job] = queue.Queue(maxsize)

    def submit(self, fn: Callable[..., Any], /, **kwargs: Any) -> bool:
        jobs = self._started()
        try:
            jobs.put_nowait((fn, kwargs))
        except queue.Full:
            logger.warning("%s: queue full, dropping %s", self.name, getattr(fn, "__name__", fn))
            return False
        return True

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every job submitted before this call has run; False if `timeout` passed
        first. Jobs submitted meanwhile are not waited for: a reader under steady traffic (the
        admin's cache statistics) waits for the work queued so far, not for a quiet moment."""
        if self._pid != os.getpid():
            return True  # nothing was ever submitted in this process
        deadline = time.monotonic() + timeout
        reached = threading.Event()
        try:
            # The thread takes jobs in order: when this one runs, every earlier one has.
            self._queue.put((reached.set, {}), timeout=timeout)
        except queue.Full:
            return False
        return reached.wait(max(deadline - time.monotonic(), 0.0))

    def _started(self) -> "queue.Queue[Job]":
        if self._pid == os.getpid():
            return self._queue
        with self._lock:
            # First use, or first use after a fork (the thread did not survive it; jobs queued
            # in the parent belong to the parent).
            if self._pid != os.getpid():
                self._queue = queue.Queue(self._maxsize)
                thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                thread.start()
                self._pid = os.getpid()
        return self._queue

    def _run(self) -> None:
        jobs = self._queue
        while True:
            fn, kwargs = jobs.get()
            try:
                fn(**kwargs)
            except Exception:
                logger.exception("%s: job %s failed", self.name, getattr(fn, "__name__", fn))
            finally:
                # Jobs are rare (transitions): reconnecting each time is cheap, and an idle
                # thread then holds no connection (a database restart or drop never finds one).
                connections.close_all()
                jobs.task_done()


class Batch(Generic[K, V]):
    """Items gathered in this process and handed to `flush` together on `worker`'s thread,
    `delay` seconds after the first of them: the caller never waits for the write.

    An item added under a key already pending is combined with it by `merge` (default: the
    first one stays). Beyond `max_items` pending keys new ones are dropped with a warning: what
    is batched here is worth less than the caller's time. After a fork the child starts with
    nothing pending (what the parent gathered is the parent's to flush).
    """

    def __init__(
        self,
        worker: BackgroundWorker,
        flush: Callable[[dict[K, V]], None],
        *,
        delay: float,
        merge: Callable[[V, V], V] | None = None,
        max_items: int = 1000,
    ) -> None:
        self.worker = worker
        self._flush_items = flush
        self._delay = delay
        self._merge = merge
        self._max_items = max_items
        self._lock = threading.Lock()
        self._pending: dict[K, V] = {}
        self._queued = False
        self._pid = os.getpid()

    def add(self, key: K, value: V) -> bool:
        """Gather one item; False when it was dropped (too many pending, or a full queue)."""
        with self._lock:
            if self._pid != os.getpid():
                self._pending.clear()
                self._queued, self._pid = False, os.getpid()
            pending = self._pending
            if key in pending:
                if self._merge is not None:
                    pending[key] = self._merge(pending[key], value)
                return True
            if len(pending) >= self._max_items:
                logger.warning("%s: %s items pending, dropping one", self.worker.name, len(pending))
                return False
            pending[key] = value
            if self._queued:
                return True
            self._queued = True
        if self.worker.submit(self._flush):
            return True
        with self._lock:
            self._queued = False
        return False

    def drain(self, timeout: float) -> bool:
        """Wait until everything gathered so far has been flushed; False on timeout."""
        return self.worker.drain(timeout)

    def _flush(self) -> None:
        time.sleep(self._delay)
        with self._lock:
            items, self._pending = self._pending, {}
            self._queued = False
        self._flush_items(items)


breaker_side_effects = BackgroundWorker("breaker-side-effects")
# Give queued events a moment to be written when the process exits normally.
atexit.register(breaker_side_effects.drain, 2.0)
