"""Django's Redis cache backend with one connection pool per process instead of per thread.

Django keeps one cache object per thread, and its Redis backend keeps its connection pools on
that object (Django ticket #35651), so every thread that touched the cache opened connections
of its own: the interviewer's thread pool, sync_to_async's threads, the background writers.
A busy web process grew its Redis connections with its thread count. redis-py's pools are
thread-safe and reset themselves in a forked child, so one client per configuration is shared
by all the threads of a process.
"""

import asyncio
import threading
import weakref
from typing import Any

import redis.asyncio
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[str, RedisCacheClient] = {}
_lock = threading.Lock()

# Django's contract for incr and decr: a missing key is a ValueError, never a new counter.
# Its client sends EXISTS, then INCRBY: two round trips, and a key that expires in between
# comes back as a counter with no expiry. One script does both, atomically.
_INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return false
"""

# A fixed-window hit: the key is created with the window's expiry by its first hit, then
# counted. One command, so one round trip, from a thread or from the event loop alike.
_INCR_WINDOW = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])
"""

# redis.asyncio clients belong to the event loop their connections were made on: one per
# loop and configuration (a web process has one loop), dropped with the loop.
_async_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, Any]]" = (
    weakref.WeakKeyDictionary()
)


# Connections per event loop for counts made from it: a count holds one for a round trip
# (well under a millisecond), so a few serve thousands of frames a second.
ASYNC_CONNECTIONS = 4


def _script(scripts: dict[Any, Any], client: Any, lua: str) -> Any:
    """`lua` as redis-py's Script on `client`: EVALSHA, loaded on the first NOSCRIPT."""
    script = scripts.get((lua, id(client)))
    if script is None:
        script = scripts.setdefault((lua, id(client)), client.register_script(lua))
    return script


class _ReusedClient(RedisCacheClient):
    """Django's client builds a new redis.Redis around the pool for every cache call (its
    constructor copies options and sets up callbacks: most of a frame count's CPU). One per
    pool is enough: redis.Redis is thread-safe, and the pool does the per-call work."""

    # Set by RedisCacheClient; the type stubs leave them out.
    _client: Any
    _get_connection_pool: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redis_by_pool: dict[int, Any] = {}
        self.scripts: dict[Any, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._redis_by_pool.get(id(pool))
        if client is None:
            client = self._redis_by_pool.setdefault(id(pool), self._client(connection_pool=pool))
        return client

    def incr(self, key: Any, delta: int = 1) -> Any:
        client = self.get_client(key, write=True)
        value = _script(self.scripts, client, _INCR_EXISTING)(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class SharedPoolRedisCache(RedisCache):
    # Set by RedisCache.__init__; the type stubs leave them out.
    _servers: list[str]
    _options: dict[str, Any]

    @cached_property
    def _config(self) -> str:
        # What a client is built from: a settings change in tests gets its own.
        return repr((self._servers, sorted(self._options.items())))

    @cached_property
    def _cache(self) -> Any:
        with _lock:
            client = _clients.get(self._config)
            if client is None:
                client = _clients[self._config] = _ReusedClient(self._servers, **self._options)
        return client

    def incr_window(self, key: str, expires: int) -> int:
        """Count one hit on `key`, which lives `expires` seconds from its first hit: one round
        trip, where Django's incr and add take two or three. Counters are plain integers, as
        Django's serializer stores them."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        return int(_script(self._cache.scripts, client, _INCR_WINDOW)(keys=[key], args=[expires]))

    async def aincr_window(self, key: str, expires: int) -> int:
        """incr_window from the event loop, without a thread to hop to and back: every
        socket frame is counted, and the hop cost more than the count."""
        key = self.make_and_validate_key(key)
        per_loop = _async_clients.setdefault(asyncio.get_running_loop(), {})
        client = per_loop.get(self._config)
        if client is None:
            # The deployment's timeouts (settings: a Redis that stops answering must fail the
            # count, not hang the frame); the pool's other options are the sync client's.
            timeouts = ("socket_connect_timeout", "socket_timeout")
            options = {k: v for k, v in self._options.items() if k in timeouts}
            # Bounded: every frame in flight would otherwise open a connection of its own
            # (the threads bounded the sync path). Past the wait, the count fails and the
            # socket counts alone (consumers.py).
            pool = redis.asyncio.BlockingConnectionPool.from_url(
                self._servers[0],
                max_connections=ASYNC_CONNECTIONS,
                timeout=options.get("socket_timeout"),
                **options,
            )
            client = per_loop[self._config] = redis.asyncio.Redis(connection_pool=pool)
        script = _script(per_loop, client, _INCR_WINDOW)
        return int(await script(keys=[key], args=[expires]))
