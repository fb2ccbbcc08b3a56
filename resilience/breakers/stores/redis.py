"""Breaker state in Redis, shared by every web and worker process: one key per breaker holding
its `Machine` as JSON. An operation applies the rules (machine.py) to the value this process
last saw and writes the result with a compare-and-set script that knows nothing of breakers;
after another process's write the script returns the key's value and the operation is computed
again: one round trip, two after a concurrent write.

While Redis is unreachable the store fails open to a process-local MemoryStore, tries Redis again
every `reconnect_interval` seconds, and drops the local state once it answers.
"""

import json
import logging
import threading
import time
from dataclasses import replace
from typing import Self, cast

import redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from resilience import metrics
from resilience.breakers.config import BreakerPolicy
from resilience.breakers.machine import Machine
from resilience.breakers.state import Reply, Transition
from resilience.breakers.stores.base import BreakerStore, Clock, Operation, T, to_ms, wall_clock
from resilience.breakers.stores.memory import MemoryStore
from resilience.conf import resilience_settings

logger = logging.getLogger(__name__)

# KEYS[1]: the key; ARGV[1]: the value the caller computed from ("" for a missing key);
# ARGV[2]: the value to write. Returns 1 when written (or unchanged), else the current value.
COMPARE_AND_SET = """
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return {current} end
if ARGV[2] ~= current then redis.call('SET', KEYS[1], ARGV[2]) end
return 1
"""
SOCKET_TIMEOUT = 0.25  # seconds; a Redis that stops answering must not hold the guarded call
MAX_CONFLICTS = 20  # writers racing on one key; past this the call fails open (logged)


class StoreConflict(Exception):
    """Other processes kept changing the breaker's key while this one computed its update."""


class RedisStore(BreakerStore):
    label = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "resilience:breaker",
        clock: Clock = wall_clock,
        reconnect_interval: float = 1.0,
        client: redis.Redis | None = None,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self._clock = clock
        # No client-side retries: a failed operation falls back at once instead of blocking the
        # guarded call. `client`: a benchmark's, which counts round trips.
        self._client = client or redis.Redis.from_url(
            url,
            retry=Retry(NoBackoff(), 0),
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=SOCKET_TIMEOUT,
        )
        self._cas = self._client.register_script(COMPARE_AND_SET)
        where = self._client.connection_pool.connection_kwargs  # logged: never the password
        self._where = f"{where.get('host')}:{where.get('port')}/{where.get('db')}"
        self._seen: dict[str, bytes] = {}  # last value read or written per key
        self._fallback = MemoryStore(clock=clock)
        self._reconnect_interval = reconnect_interval
        self._down = False
        self._retry_at = 0.0
        self._down_lock = threading.Lock()
        self._fallback_calls = metrics.BREAKER_STORE_FALLBACK_CALLS.labels(store=self.label)

    @classmethod
    def from_settings(cls) -> Self:
        # An empty URL is refused by the system check (resilience.E003).
        return cls(resilience_settings().breaker_redis_url)

    @property
    def degraded(self) -> bool:  # operations are served by the local fallback store
        return self._down

    def update(self, name: str, operation: Operation[T]) -> T:
        if self._down and time.monotonic() < self._retry_at:
            return self._local(name, operation)
        try:
            result = self._shared(name, operation)
        except RedisError as exc:
            self._went_down(exc)
            return self._local(name, operation)
        if self._down:
            self._came_back()
        return result

    def reset(self, name: str, policy: BreakerPolicy) -> Transition:
        """The shared state back to CLOSED; raises RedisError when Redis is down."""
        self._fallback.reset(name, policy)
        return self._shared(name, lambda machine, now: machine.reset(name, policy, now))

    def read(self, name: str) -> tuple[Machine, int]:
        """The shared state; raises RedisError when Redis is down (no local substitute)."""
        raw = cast(bytes | None, self._client.get(self._key(name)))
        return Machine.from_dict(json.loads(raw) if raw else None), to_ms(self._clock())

    def _key(self, name: str) -> str:
        # The hash tag keeps a breaker's key in one slot, as Redis Cluster requires.
        return f"{self.prefix}:{{{name}}}"

    def _shared(self, name: str, operation: Operation[T]) -> T:
        key = self._key(name)
        seen = self._seen.get(key)
        if seen is None:
            seen = cast(bytes | None, self._client.get(key)) or b""
        for _ in range(MAX_CONFLICTS):
            machine = Machine.from_dict(json.loads(seen) if seen else None)
            result = operation(machine, to_ms(self._clock()))
            new = json.dumps(machine.to_dict(), separators=(",", ":")).encode()
            answer = self._cas(keys=[key], args=[seen, new])
            if answer == 1:
                self._seen[key] = new
                return result
            seen = answer[0]  # another process wrote first: compute again from its value
        self._seen.pop(key, None)
        raise StoreConflict(f"breaker {name!r}: {MAX_CONFLICTS} conflicting writes in a row")

    def _local(self, name: str, operation: Operation[T]) -> T:
        self._fallback_calls.inc()
        result = self._fallback.update(name, operation)
        if isinstance(result, Reply) and result.transition is not None:
            transition = replace(result.transition, local=True)
            return cast(T, replace(result, transition=transition))
        return result

    def _went_down(self, exc: RedisError) -> None:
        with self._down_lock:
            first, self._down = not self._down, True
            self._retry_at = time.monotonic() + self._reconnect_interval
        self._seen.clear()
        if first:
            metrics.BREAKER_STORE_UNAVAILABLE.labels(store=self.label).inc()
            # A refused connection needs no traceback; anything else (a script error, OOM,
            # a read-only replica) does, to be diagnosed.
            quiet = isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError)
            logger.warning(
                "breaker store: Redis at %s unavailable (%s: %s); breakers use process-local "
                "state until it answers again",
                self._where,
                type(exc).__name__,
                exc,
                exc_info=not quiet,
            )

    def _came_back(self) -> None:
        with self._down_lock:
            if not self._down:
                return
            self._down = False
            self._fallback = MemoryStore(clock=self._clock)  # the local state is dropped
        logger.warning("breaker store: Redis at %s is back; shared state resumes", self._where)
