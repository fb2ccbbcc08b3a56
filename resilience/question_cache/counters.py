"""Hit and miss counters shared by every process, kept in Django's cache (Redis in production).

They are statistics, not state: when the cache cannot be reached the count is lost and the
lookup goes on. A lookup only bumps a process-local tally; a background thread adds the
tallies to the shared counters at most every FLUSH_DELAY_SECONDS, so a candidate never waits
on a Redis round trip for a statistic, and a burst of lookups during an outage costs one
round trip per process per interval rather than one each (a flush per lookup kept the flush
thread busy enough to hold the GIL against the lookups themselves). With the embedded default
(local-memory cache) each process counts its own.
"""

import logging
import os
import threading
import time
from collections import Counter

from django.core.cache import cache

from resilience.services.background import BackgroundWorker

logger = logging.getLogger(__name__)

PREFIX = "resilience:question_cache:"
HITS = f"{PREFIX}hits"
MISSES = f"{PREFIX}misses"
FLUSH_DELAY_SECONDS = 0.25  # tallies gathered before one flush
FLUSH_WAIT_SECONDS = 2.0  # how long a reader waits for this process's tallies to land

counter_updates = BackgroundWorker("question-cache-counters")
_lock = threading.Lock()
_pending: Counter[str] = Counter()
_flush_queued = False
_pid = os.getpid()


def counter_increment(name: str) -> None:
    global _flush_queued, _pid
    with _lock:
        if _pid != os.getpid():  # forked: the parent's tally and flush are the parent's
            _pending.clear()
            _flush_queued, _pid = False, os.getpid()
        _pending[name] += 1
        if _flush_queued:
            return
        _flush_queued = True
    if not counter_updates.submit(_flush):
        with _lock:
            _flush_queued = False


def _flush() -> None:
    global _flush_queued
    time.sleep(FLUSH_DELAY_SECONDS)
    with _lock:
        tally = dict(_pending)
        _pending.clear()
        _flush_queued = False
    for name, count in tally.items():
        try:
            try:
                cache.incr(name, count)
            except ValueError:  # not there yet (first lookup, or evicted): start it
                if not cache.add(name, count, timeout=None):
                    cache.incr(name, count)
        except Exception:
            # Counting must never cost anyone anything; the failure is still visible.
            logger.warning("question cache: %s lost %s counts", name, count, exc_info=True)


def counter_values() -> tuple[int | None, int | None]:
    """(hits, misses) with this process's tallies included; None where unreadable."""
    counter_updates.drain(FLUSH_WAIT_SECONDS)
    try:
        values = cache.get_many([HITS, MISSES])
    except Exception:
        logger.warning("question cache: cannot read the hit and miss counters", exc_info=True)
        return None, None
    return int(values.get(HITS, 0)), int(values.get(MISSES, 0))


def counters_reset() -> bool:
    """Start the hit and miss counts again; False when the cache could not be reached."""
    counter_updates.drain(FLUSH_WAIT_SECONDS)
    try:
        cache.delete_many([HITS, MISSES])
    except Exception:
        logger.warning("question cache: cannot reset the hit and miss counters", exc_info=True)
        return False
    return True
