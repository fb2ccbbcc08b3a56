"""A per-process background thread for side effects that must not slow the caller.

Breaker transitions are decided on the hot path; writing their event rows, updating the state
mirror and sending alerts (mail, a webhook with its own timeout) happen here instead, after the
state change and off any lock. A failing job is logged and dropped; a full queue drops the new
job with a warning rather than blocking the guarded call.
"""

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connections

logger = logging.getLogger(__name__)

Job = tuple[Callable[..., Any], dict[str, Any]]


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
        """Wait until every submitted job has run; False if `timeout` passed first."""
        jobs = self._queue
        deadline = time.monotonic() + timeout
        with jobs.all_tasks_done:
            while jobs.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                jobs.all_tasks_done.wait(remaining)
        return True

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


breaker_side_effects = BackgroundWorker("breaker-side-effects")
# Give queued events a moment to be written when the process exits normally.
atexit.register(breaker_side_effects.drain, 2.0)
