"""Fixed-window counters shared by every web process, kept in the Django cache.

The cache is Redis in production, so every process counts into the same key; in the embedded
default it is local memory, which is enough there because there is one web process. A hit is
one INCR whose result the caller compares with its limit: the count and the decision come from
one atomic step, so concurrent hits can never all see room under the limit (a read, then a
write, lets several through).
"""

import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from redis.exceptions import RedisError


class CounterUnavailable(Exception):
    """The cache could not count; the caller decides how to fail (see each caller)."""


@dataclass(frozen=True)
class WindowCount:
    count: int  # hits in the current window, this one included
    retry_after: float  # seconds until the window ends
    key: str  # the window's key in the cache (window_key)


def window_key(key: str, window: int) -> str:
    """The cache key of `key`'s counter in window number `window`."""
    return f"{key}:{window}"


def window_count(*, key: str, window_seconds: float, now: float | None = None) -> WindowCount:
    """Count one hit on `key` in the current fixed window (aligned to the clock; `now`: the
    time to count at, by default the clock's), stored as `key:<window number>`."""
    now = time.time() if now is None else now
    window = int(now // window_seconds)
    full_key = window_key(key, window)
    # Kept for two windows, so it never expires inside its own.
    timeout = math.ceil(window_seconds * 2)
    try:
        # Redis counts in one round trip (interviewsite/redis_cache.py): every socket frame is
        # counted here.
        if (incr_window := getattr(cache, "incr_window", None)) is not None:
            count = incr_window(full_key, timeout)
            return WindowCount(count, (window + 1) * window_seconds - now, full_key)
        try:
            count = cache.incr(full_key)
        except ValueError:  # the window's first hit: no key yet
            # add() is atomic (SET NX): of two first hits, one creates the key, the other
            # counts into it.
            count = 1 if cache.add(full_key, 1, timeout=timeout) else cache.incr(full_key)
    except (RedisError, OSError) as exc:
        raise CounterUnavailable(str(exc)) from exc
    return WindowCount(int(count), (window + 1) * window_seconds - now, full_key)
