"""Django's Redis cache backend with one connection pool per process instead of per thread.

Django keeps one cache object per thread, and its Redis backend keeps its connection pools on
that object (Django ticket #35651), so every thread that touched the cache opened connections
of its own: the interviewer's thread pool, sync_to_async's threads, the background writers.
A busy web process grew its Redis connections with its thread count. redis-py's pools are
thread-safe and reset themselves in a forked child, so one client per configuration is shared
by all the threads of a process.
"""

import threading
from typing import Any

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
        self._incr_by_client: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._redis_by_pool.get(id(pool))
        if client is None:
            client = self._redis_by_pool.setdefault(id(pool), self._client(connection_pool=pool))
        return client

    def incr(self, key: Any, delta: int = 1) -> Any:
        client = self.get_client(key, write=True)
        script = self._incr_by_client.get(id(client))
        if script is None:
            # EVALSHA, with the script loaded on the first NOSCRIPT (redis-py's Script).
            script = self._incr_by_client.setdefault(
                id(client), client.register_script(_INCR_EXISTING)
            )
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class SharedPoolRedisCache(RedisCache):
    # Set by RedisCache.__init__; the type stubs leave them out.
    _servers: list[str]
    _options: dict[str, Any]

    @cached_property
    def _cache(self) -> Any:
        # Keyed by what the client is built from: a settings change in tests gets its own.
        key = repr((self._servers, sorted(self._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = _ReusedClient(self._servers, **self._options)
        return client

    def incr_window(self, key: str, timeout: int) -> int:
        """Count one hit on `key`, which lives `timeout` seconds from its first hit: one round
        trip (SET NX EX and INCR, pipelined), where Django's incr and add take two or three.
        Counters are plain integers, as Django's serializer stores them."""
        key = self.make_and_validate_key(key)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        return int(pipeline.execute()[1])
