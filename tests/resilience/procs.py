"""Code run in child processes by the cross-process tests (importable without Django set up)."""

import os
import time
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Barrier, Event
from typing import Any

import redis

from resilience.breakers import Breaker, BreakerOpen, BreakerPolicy
from resilience.breakers.policies import StaticPolicies
from resilience.breakers.stores.redis import RedisStore


def redis_breaker(url: str, prefix: str, policy: dict[str, Any]) -> Breaker:
    p = BreakerPolicy(**policy)
    return Breaker(p.name, store=RedisStore(url, prefix=prefix), policies=StaticPolicies(p))


def hammer(
    url: str,
    prefix: str,
    policy: dict[str, Any],
    counter_key: str,
    ready: Barrier,
    go: Event,
    stop_at: "Synchronized[float]",
    results: "Queue[tuple[int, int]]",
) -> None:
    """Call the breaker as fast as possible until stop_at; report (reached, rejected).

    The protected function counts itself in Redis and then holds its trial slot until everyone
    has stopped, so every admission during the run is visible in the counter.
    """
    breaker = redis_breaker(url, prefix, policy)
    client = redis.Redis.from_url(url)
    ready.wait()
    go.wait()
    deadline = stop_at.value
    reached = rejected = 0

    def dependency() -> None:
        nonlocal reached
        reached += 1
        client.incr(counter_key)
        time.sleep(max(deadline - time.time(), 0.0) + 0.2)
        raise TimeoutError("still down")

    while time.time() < deadline:
        try:
            breaker.call(dependency)
        except BreakerOpen:
            rejected += 1
        except TimeoutError:
            pass
        time.sleep(0.002)
    results.put((reached, rejected))


def take_trial_and_crash(url: str, prefix: str, policy: dict[str, Any]) -> None:
    """Be admitted as a half-open trial, then die without ever reporting back."""
    breaker = redis_breaker(url, prefix, policy)
    breaker.call(os._exit, 0)
