"""Overhead of a circuit breaker around a no-op call: ours (memory and Redis stores) vs pybreaker.

    REDIS_URL=redis://127.0.0.1:6379/13 python bench/breaker_overhead.py [--calls N]

Prints, per guarded call, p50/p99 latency and ratios, the Redis round trips per call (counted
on the client's connections) and Redis commands per call (INFO commandstats delta, server-wide),
next to a Redis PING measured in the same run. Variants run interleaved in rounds so background
load on the machine affects them alike. Keys live under a private prefix, deleted at the end.
Without REDIS_URL only the in-memory variants run.
"""

import argparse
import contextlib
import os
import sys
import time
import uuid
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewsite.settings")

import django

from interviewsite.runtime import prepare_process

prepare_process()  # the directories a process's entry point makes
django.setup()

import pybreaker  # noqa: E402
import redis  # noqa: E402

from resilience.breakers import Breaker, BreakerOpen, BreakerPolicy  # noqa: E402
from resilience.breakers.policies import StaticPolicies  # noqa: E402
from resilience.breakers.stores.memory import MemoryStore  # noqa: E402
from resilience.breakers.stores.redis import RedisStore  # noqa: E402


class CountingConnection(redis.Connection):
    """Counts requests sent: one send (a command or a pipeline) is one round trip."""

    sent = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        super().send_packed_command(command, check_health)


def noop() -> None:
    return None


def percentile(sorted_ns: list[int], q: float) -> float:
    return sorted_ns[min(int(len(sorted_ns) * q), len(sorted_ns) - 1)] / 1000


class Variant:
    def __init__(self, name: str, call: Callable[[], Any], *, redis_side: bool = False) -> None:
        self.name = name
        self.call = call
        self.redis_side = redis_side
        self.samples: list[int] = []
        self.sent = 0
        self.commands = 0

    def run(self, n: int, stats: redis.Redis | None) -> None:
        call = self.call
        clock = time.perf_counter_ns
        samples = self.samples
        before_sent = CountingConnection.sent
        before_cmds = total_commands(stats) if stats is not None and self.redis_side else 0
        for _ in range(n):
            start = clock()
            call()
            samples.append(clock() - start)
        self.sent += CountingConnection.sent - before_sent
        if stats is not None and self.redis_side:
            # The INFO call itself is one command; do not charge it to the variant.
            self.commands += total_commands(stats) - before_cmds - 1


def total_commands(client: redis.Redis) -> int:
    info = cast(dict[str, dict[str, Any]], client.info("commandstats"))
    return sum(int(v["calls"]) for v in info.values())


def trip(breaker: Breaker) -> None:
    def fail() -> None:
        raise TimeoutError

    with contextlib.suppress(TimeoutError):
        breaker.call(fail)


def reject(breaker: Breaker) -> Callable[[], None]:
    def call() -> None:
        with contextlib.suppress(BreakerOpen):
            breaker.call(noop)

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=4000, help="calls per variant (Redis ones)")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL", "")
    prefix = f"bench:breaker:{uuid.uuid4().hex[:8]}"
    # The defaults a breaker is created with (threshold 10, 100-call window, 30 s slow calls).
    closed = BreakerPolicy(name="bench.closed")
    opened = BreakerPolicy(
        name="bench.open", failure_threshold=1, recovery_timeout=3600.0, recovery_timeout_max=3600.0
    )

    memory = Breaker("bench.closed", store=MemoryStore(), policies=StaticPolicies(closed))
    py_memory = pybreaker.CircuitBreaker(fail_max=10, reset_timeout=10)
    variants = [
        Variant("bare call", noop),
        Variant("our breaker, memory store", lambda: memory.call(noop)),
        Variant("pybreaker, memory storage", lambda: py_memory.call(noop)),
    ]
    memory_open = Breaker("bench.open", store=MemoryStore(), policies=StaticPolicies(opened))
    client: redis.Redis | None = None
    stats: redis.Redis | None = None
    if redis_url:
        stats = redis.Redis.from_url(redis_url)  # not counted: reads INFO between batches
        pool = redis.ConnectionPool.from_url(redis_url, connection_class=CountingConnection)
        client = redis.Redis(connection_pool=pool)
        counted = RedisStore(redis_url, prefix=prefix, client=client)
        ours = Breaker("bench.closed", store=counted, policies=StaticPolicies(closed))
        ours_open = Breaker("bench.open", store=counted, policies=StaticPolicies(opened))
        # Two processes calling one breaker in turn, on a time window (every call changes its
        # bucket): each finds the other's write in its way, so every record is a failed
        # compare-and-set followed by a second one (the worst case).
        timed = StaticPolicies(BreakerPolicy(name="bench.shared", window_type="time"))
        other_store = RedisStore(redis_url, prefix=prefix, client=client)
        other = Breaker("bench.shared", store=other_store, policies=timed)
        shared = Breaker("bench.shared", store=counted, policies=timed)
        turn = [shared, other]

        def alternate() -> None:
            turn.reverse()
            turn[0].call(noop)

        py_storage = pybreaker.CircuitRedisStorage(
            pybreaker.STATE_CLOSED, client, namespace=f"{prefix}:pybreaker"
        )
        py_redis = pybreaker.CircuitBreaker(fail_max=10, reset_timeout=10, state_storage=py_storage)
        for breaker in (ours_open, memory_open):
            trip(breaker)
        variants += [
            Variant("Redis PING", client.ping, redis_side=True),
            Variant("our breaker, Redis store", lambda: ours.call(noop), redis_side=True),
            Variant("our breaker, Redis, 2 writers in turn", alternate, redis_side=True),
            Variant("pybreaker, CircuitRedisStorage", lambda: py_redis.call(noop), redis_side=True),
            Variant("our breaker, Redis, OPEN (reject)", reject(ours_open), redis_side=True),
        ]
    else:
        trip(memory_open)
    variants.append(Variant("our breaker, memory, OPEN (reject)", reject(memory_open)))

    per_round = max(args.calls // args.rounds, 1)
    for variant in variants:  # warm up: connections, script load, caches
        variant.run(200, None)
        variant.samples.clear()
        variant.sent = variant.commands = 0
    for _ in range(args.rounds):
        for variant in variants:
            n = per_round if variant.redis_side else per_round * 5
            variant.run(n, stats)

    by_name = {v.name: v for v in variants}
    bare = percentile(sorted(by_name["bare call"].samples), 0.5)
    print(f"breaker overhead per call, no-op function; {args.rounds} interleaved rounds")
    server = ""
    if stats is not None:
        server_info = cast(dict[str, Any], stats.info("server"))
        server = f", Redis server {server_info['redis_version']}"
    print(
        f"python {sys.version.split()[0]}, pybreaker {version('pybreaker')}, "
        f"redis-py {version('redis')}{server}"
    )
    header = (
        f"{'variant':36} {'calls':>7} {'p50 µs':>9} {'p99 µs':>9} {'round trips':>12} "
        f"{'server cmds':>12}"
    )
    print(header)
    print("-" * len(header))
    p50: dict[str, float] = {}
    p99: dict[str, float] = {}
    for v in variants:
        ordered = sorted(v.samples)
        p50[v.name], p99[v.name] = percentile(ordered, 0.5), percentile(ordered, 0.99)
        sent = f"{v.sent / len(ordered):.3f}" if v.redis_side else "-"
        cmds = f"{v.commands / len(ordered):.2f}" if v.redis_side else "-"
        print(
            f"{v.name:36} {len(ordered):7d} {p50[v.name]:9.2f} {p99[v.name]:9.2f} {sent:>12} "
            f"{cmds:>12}"
        )

    print("(round trips: requests sent per call on the counted connections; server cmds: commands")
    print(" Redis executed per call, those inside the compare-and-set script included, from INFO")
    print(" commandstats)")
    print()
    print("ratios (p50)")
    ours_mem, py_mem = p50["our breaker, memory store"], p50["pybreaker, memory storage"]
    print(f"  our memory store / pybreaker memory:   {ours_mem / py_mem:5.2f}x")
    print(f"  (bare call p50: {bare:.2f} µs)")
    goals: list[tuple[str, bool]] = []
    reject_p99 = p99["our breaker, memory, OPEN (reject)"]
    if client is not None:
        ours_redis, ping = p50["our breaker, Redis store"], p50["Redis PING"]
        py_redis_p50 = p50["pybreaker, CircuitRedisStorage"]
        ours_variant = by_name["our breaker, Redis store"]
        trips = ours_variant.sent / len(ours_variant.samples)
        two = by_name["our breaker, Redis, 2 writers in turn"]
        contended = two.sent / len(two.samples)
        reject_p99 = max(reject_p99, p99["our breaker, Redis, OPEN (reject)"])
        print(f"  our Redis store / Redis PING:          {ours_redis / ping:5.2f}x")
        print(f"  our Redis store / pybreaker Redis:     {ours_redis / py_redis_p50:5.2f}x")
        goals += [
            ("Redis store, one writer: at most 2 round trips per call", trips <= 2.0),
            # + an acquire once a second, when the breaker's cached view expires
            ("Redis store, 2 writers in turn: 2 round trips per call", contended <= 2.01),
        ]
        keys = list(client.scan_iter(match=f"{prefix}:*"))  # pybreaker's keys are under it too
        if keys:
            client.delete(*keys)
    goals.append(("open-breaker rejection p99 <= 1 ms", reject_p99 <= 1000))
    print()
    for goal, met in goals:
        print(f"  [{'met' if met else 'MISSED'}] {goal}")


if __name__ == "__main__":
    main()
