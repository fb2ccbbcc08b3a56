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

from asgiref.sync import sync_to_async
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.locmem import LocMemCache
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


def _window(key: str, window_seconds: float, now: float | None) -> tuple[str, int, float]:
    """The current window's key for `key`, how long it is kept, and the seconds left in it."""
    now = time.time() if now is None else now
    window = int(now // window_seconds)
    # Kept for two windows, so it never expires inside its own.
    return (
        window_key(key, window),
        math.ceil(window_seconds * 2),
        (window + 1) * window_seconds - now,
    )


def window_count(*, key: str, window_seconds: float, now: float | None = None) -> WindowCount:
    """Count one hit on `key` in the current fixed window (aligned to the clock; `now`: the
    time to count at, by default the clock's), stored as `key:<window number>`."""
    full_key, expires, retry_after = _window(key, window_seconds, now)
    try:
        # Redis counts in one round trip (interviewsite/redis_cache.py).
        if (incr_window := getattr(cache, "incr_window", None)) is not None:
            return WindowCount(incr_window(full_key, expires), retry_after, full_key)
        try:
            count = cache.incr(full_key)
        except ValueError:  # the window's first hit: no key yet
            # add() is atomic (SET NX): of two first hits, one creates the key, the other
            # counts into it.
            count = 1 if cache.add(full_key, 1, timeout=expires) else cache.incr(full_key)
    except (RedisError, OSError) as exc:
        raise CounterUnavailable(str(exc)) from exc
    return WindowCount(int(count), retry_after, full_key)


async def window_count_async(*, key: str, window_seconds: float) -> WindowCount:
    """window_count from the event loop: every socket frame is counted here. On Redis the
    count is made from the loop itself; local memory does no I/O, so it counts in place; any
    other cache backend counts on a thread."""
    if (aincr_window := getattr(cache, "aincr_window", None)) is None:
        if isinstance(caches[DEFAULT_CACHE_ALIAS], LocMemCache):
            return window_count(key=key, window_seconds=window_seconds)
        return await sync_to_async(window_count, thread_sensitive=False)(
            key=key, window_seconds=window_seconds
        )
    full_key, expires, retry_after = _window(key, window_seconds, None)
    try:
        count = await aincr_window(full_key, expires)
    except (RedisError, OSError, TimeoutError) as exc:
        raise CounterUnavailable(str(exc) or type(exc).__name__) from exc
    return WindowCount(count, retry_after, full_key)
