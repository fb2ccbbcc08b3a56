"""The cache backend shares one Redis connection pool per process: threads that use the cache
one after another reuse one connection instead of opening one each (Django's own RedisCache
keeps a pool per thread)."""

import threading
import uuid
from typing import Any

from django.core.cache import caches


def cache_settings(redis_url: str, backend: str) -> dict[str, Any]:
    location = f"{redis_url.rsplit('/', 1)[0]}/{int(redis_url.rsplit('/', 1)[1]) + 2}"
    return {"default": {"BACKEND": backend, "LOCATION": location, "KEY_PREFIX": uuid.uuid4().hex}}


def use_from_threads(count: int) -> set[int]:
    """`count` threads, one after another, each reading the cache; the clients they used."""
    used: list[object] = []  # kept alive, so no two clients can share an id()

    def use() -> None:
        cache = caches["default"]
        cache.get("anything")
        used.append(cache._cache)  # type: ignore[attr-defined]

    for _ in range(count):
        thread = threading.Thread(target=use)
        thread.start()
        thread.join()
    return {id(client) for client in used}


def created_connections() -> int:
    client = caches["default"]._cache  # type: ignore[attr-defined]
    return sum(pool._created_connections for pool in client._pools.values())


def test_threads_share_one_client_and_one_connection(redis_url: str, settings: Any) -> None:
    settings.CACHES = cache_settings(redis_url, "interviewsite.redis_cache.SharedPoolRedisCache")
    # The client is the process's: earlier tests may have used it. Count from here.
    caches["default"].get("warm-up")
    before = created_connections()

    clients = use_from_threads(16)

    assert len(clients) == 1
    # Each thread reused the idle connection (one more at most, should a background flush of
    # another test use the cache at the same moment); Django's own backend opens one per thread.
    assert created_connections() - before <= 1


def test_django_s_own_backend_would_open_one_pool_per_thread(redis_url: str, settings: Any) -> None:
    # The reason the shared backend exists; if Django fixes this, the shared one can go.
    settings.CACHES = cache_settings(redis_url, "django.core.cache.backends.redis.RedisCache")

    assert len(use_from_threads(4)) == 4


def test_a_different_location_gets_its_own_client(redis_url: str, settings: Any) -> None:
    backend = "interviewsite.redis_cache.SharedPoolRedisCache"
    settings.CACHES = cache_settings(redis_url, backend)
    first = use_from_threads(1)
    other = cache_settings(redis_url, backend)
    other["default"]["LOCATION"] = other["default"]["LOCATION"].rsplit("/", 1)[0] + "/15"
    settings.CACHES = other
    # The first client stays in the process-wide registry, so its id() cannot be reused.
    assert use_from_threads(1).isdisjoint(first)


def test_calls_reuse_one_redis_client_per_pool(redis_url: str, settings: Any) -> None:
    # Django's client builds a redis.Redis for every call; the shared one keeps one per pool.
    settings.CACHES = cache_settings(redis_url, "interviewsite.redis_cache.SharedPoolRedisCache")
    client = caches["default"]._cache  # type: ignore[attr-defined]
    made = [client.get_client(write=True) for _ in range(5)]  # all kept: no id() reused
    caches["default"].set("reused", 1)
    assert caches["default"].get("reused") == 1
    assert all(redis is made[0] for redis in [*made, client.get_client(write=True)])
