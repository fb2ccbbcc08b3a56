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
import operator

from django.core.cache import cache

from resilience.background import BackgroundWorker, Batch

logger = logging.getLogger(__name__)

PREFIX = "resilience:question_cache:"
HITS = f"{PREFIX}hits"
MISSES = f"{PREFIX}misses"
FLUSH_DELAY_SECONDS = 0.25  # tallies gathered before one flush
FLUSH_WAIT_SECONDS = 2.0  # how long a reader waits for this process's tallies to land


def _write_counts(tally: dict[str, int]) -> None:
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


counter_updates = BackgroundWorker("question-cache-counters")
_tallies: Batch[str, int] = Batch(
    counter_updates, _write_counts, delay=FLUSH_DELAY_SECONDS, merge=operator.add
)


def counter_increment(name: str) -> None:
    _tallies.add(name, 1)


def counter_values() -> tuple[int | None, int | None]:
    """(hits, misses) with this process's tallies included; None where unreadable."""
    _tallies.drain(FLUSH_WAIT_SECONDS)
    try:
        values = cache.get_many([HITS, MISSES])
    except Exception:
        logger.warning("question cache: cannot read the hit and miss counters", exc_info=True)
        return None, None
    return int(values.get(HITS, 0)), int(values.get(MISSES, 0))


def counters_reset() -> bool:
    """Start the hit and miss counts again; False when the cache could not be reached."""
    _tallies.drain(FLUSH_WAIT_SECONDS)
    try:
        cache.delete_many([HITS, MISSES])
    except Exception:
        logger.warning("question cache: cannot reset the hit and miss counters", exc_info=True)
        return False
    return True
