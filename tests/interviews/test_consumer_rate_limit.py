"""The frame limit counts per interview, in the shared cache, so reconnecting does not reset it.

It was a counter on each socket: 5 reconnects x 60 frames in 2.9 s had 150 frames processed
against a limit of 30 per 10 s. Runs on whichever cache the settings configure: Redis with
REDIS_URL (shared by every web process), local memory otherwise.
"""

import logging
import socket
import threading
import time
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from redis.exceptions import ConnectionError as RedisConnectionError

from interviews.services import rate_limits
from interviewsite.redis_cache import SharedPoolRedisCache
from tests.factories import make_interview
from tests.interviews.redis_round_trips import redis_round_trips
from tests.interviews.ws import closed_with, connect, recv

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 5


@pytest.fixture
def limited(settings: Any) -> Any:
    settings.WS_RATE_LIMIT_MESSAGES = LIMIT
    settings.WS_RATE_LIMIT_WINDOW_SECONDS = 60  # one window for the whole test
    return settings


async def _pings(comm: Any, count: int) -> list[str]:
    """Send `count` pings one by one; what each one got back ('pong' or an error code)."""
    replies = []
    for _ in range(count):
        await comm.send_json_to({"type": "ping"})
        reply = await recv(comm)
        replies.append(reply["type"] if reply["type"] == "pong" else reply["code"])
    return replies


async def test_reconnecting__does_not_reset_the_interview_s_frame_limit(limited: Any) -> None:
    created = await database_sync_to_async(make_interview)()
    served = 0
    for _ in range(5):  # the review's attack: reconnect, flood again (2 x the limit in all)
        comm = await connect(created.ws_path)
        replies = await _pings(comm, 2)
        served += replies.count("pong")
        await comm.disconnect()
    assert served == LIMIT, "the limit holds across the interview's sockets"


async def test_a_new_socket_over_twice_the_limit__is_closed_4429_at_its_first_frame(
    limited: Any,
) -> None:
    created = await database_sync_to_async(make_interview)()
    first = await connect(created.ws_path)
    assert await _pings(first, 2 * LIMIT) == ["pong"] * LIMIT + ["rate_limited"] * LIMIT
    await first.disconnect()
    second = await connect(created.ws_path)
    await second.send_json_to({"type": "ping"})
    assert (await recv(second))["code"] == "rate_limited"
    assert await closed_with(second) == 4429


async def test_another_interview__has_its_own_count(limited: Any) -> None:
    one = await database_sync_to_async(make_interview)()
    other = await database_sync_to_async(make_interview)()
    comm = await connect(one.ws_path)
    await _pings(comm, LIMIT + 1)
    await comm.disconnect()
    comm = await connect(other.ws_path)
    assert await _pings(comm, LIMIT) == ["pong"] * LIMIT
    await comm.disconnect()


async def test_counter_store_down__each_socket_still_limited_on_its_own__and_it_is_logged(
    limited: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Down:
        def incr(self, *args: Any, **kwargs: Any) -> Any:
            raise RedisConnectionError("Connection refused")

        add = incr

    monkeypatch.setattr(rate_limits, "cache", Down())
    created = await database_sync_to_async(make_interview)()
    comm = await connect(created.ws_path)
    with caplog.at_level(logging.WARNING, logger="interviews.consumers"):
        assert await _pings(comm, LIMIT + 1) == ["pong"] * LIMIT + ["rate_limited"]
    await comm.disconnect()
    warnings = [r for r in caplog.records if "frame count unavailable" in r.getMessage()]
    assert len(warnings) == 1, "logged once per socket, not once per frame"


def test_window_count__is_atomic_under_concurrent_hits() -> None:
    # INCR, then compare: 100 concurrent hits see 100 distinct counts, so no two both see room
    # under a limit (a read-then-write counter lets several through).
    key = f"test-{uuid.uuid4().hex}"
    counts: list[int] = []
    barrier = threading.Barrier(20)

    def hit() -> None:
        barrier.wait()
        for _ in range(5):
            counts.append(rate_limits.window_count(key=key, window_seconds=60).count)

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == list(range(1, 101))


@pytest.mark.services
def test_a_redis_that_stops_answering__fails_the_count_within_the_cache_timeout(
    redis_url: str, settings: Any
) -> None:
    # A listening socket that never answers: connections are accepted by the kernel, replies
    # never come (a frozen or partitioned Redis). The count must fail, not hang every frame.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        cache = dict(settings.CACHES["default"])  # the deployment's options, another address
        cache["LOCATION"] = f"redis://127.0.0.1:{port}/0"
        settings.CACHES = {"default": cache}
        started = time.monotonic()
        with pytest.raises(rate_limits.CounterUnavailable):
            rate_limits.window_count(key=f"test-{uuid.uuid4().hex}", window_seconds=60)
        assert time.monotonic() - started < settings.CACHE_TIMEOUT_SECONDS * 3


def _shared_cache() -> tuple[SharedPoolRedisCache, Any, str]:
    """The deployment's Redis cache, its client, and a key no other test uses."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    assert isinstance(backend, SharedPoolRedisCache)
    return backend, backend._cache.get_client(None, write=True), f"test-{uuid.uuid4().hex}"


@pytest.mark.services
def test_window_count_on_redis__one_round_trip_and_the_key_expires_after_two_windows(
    redis_url: str,
) -> None:
    _, client, key = _shared_cache()
    with redis_round_trips(client) as sent:
        counts = [rate_limits.window_count(key=key, window_seconds=30).count for _ in range(3)]
    assert counts == [1, 2, 3]
    assert len(sent) == 3  # one connection use (one pipelined exchange) per hit
    [stored] = client.keys(f"*{key}*")
    assert 30 < client.ttl(stored) <= 60  # outlives its window, gone after the next


@pytest.mark.services
def test_shared_redis_cache_incr__one_round_trip_and_a_missing_key_stays_missing(
    redis_url: str,
) -> None:
    backend, client, key = _shared_cache()
    backend.add(key, 5, timeout=60)
    backend.incr(key)  # the script loaded once, outside the count
    with redis_round_trips(client) as sent:
        assert backend.incr(key, 2) == 8
        assert backend.decr(key) == 7
        with pytest.raises(ValueError, match="not found"):
            backend.decr(f"{key}-missing")
    assert len(sent) == 3  # one exchange each: Django's own client makes two
    assert backend.get(key) == 7
    assert 0 < client.ttl(backend.make_key(key)) <= 60  # the counter keeps its expiry
    assert not client.exists(backend.make_key(f"{key}-missing"))  # no counter created
