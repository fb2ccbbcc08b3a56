"""The interface every breaker state store implements.

A store owns the shared state of every breaker: `acquire` asks whether a call may run (and
takes a half-open trial lease), `record` reports its outcome. Each operation is atomic and
returns the state after it, which the breaker caches so that, while CLOSED, a guarded call
needs only `record` (see breaker.py). A store never runs or waits for the protected call, so it
never holds a lock while that call runs.

Stores are picked by dotted path in `settings.BREAKER_STORE`, like Django's session backends.
"""

import functools
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Self

from asgiref.sync import sync_to_async

from resilience.breakers.config import BreakerPolicy
from resilience.breakers.state import Outcome, Reply, Snapshot, Transition

Clock = Callable[[], float]  # seconds; wall-clock time unless a test injects its own
# record(policy, gen, lease, outcome, slow) for one breaker name (see BreakerStore.bind).
Recorder = Callable[[BreakerPolicy, int, str, Outcome, bool], Reply]


def to_ms(seconds: float) -> int:
    """Store times are integer milliseconds (what the Redis scripts use)."""
    return round(seconds * 1000)


class BreakerStore(ABC):
    label = "base"  # metrics label

    @classmethod
    def from_settings(cls) -> Self:
        """The store as configured in settings (BREAKER_REDIS_URL, ...)."""
        return cls()

    @abstractmethod
    def acquire(self, name: str, policy: BreakerPolicy) -> Reply: ...

    # Positional: record runs once per guarded call, and keyword passing costs measurably.
    @abstractmethod
    def record(
        self,
        name: str,
        policy: BreakerPolicy,
        gen: int,
        lease: str,
        outcome: Outcome,
        slow: bool,
    ) -> Reply: ...

    def bind(self, name: str) -> Recorder:
        """`record` for one breaker, as the breaker calls it on every guarded call; stores may
        return something faster than this partial (the memory store binds its lock and state)."""
        return functools.partial(self.record, name)

    @abstractmethod
    def hold(self, name: str, policy: BreakerPolicy, seconds: float) -> Reply:
        """OPEN for `seconds` from now, or longer if it already is (a Retry-After)."""

    @abstractmethod
    def snapshot(self, name: str, policy: BreakerPolicy) -> Snapshot: ...

    @abstractmethod
    def reset(self, name: str, policy: BreakerPolicy) -> Transition:
        """Back to CLOSED with empty counters (an operator's action)."""

    # Stores that do blocking I/O run it off the event loop; Redis and memory override these.
    async def aacquire(self, name: str, policy: BreakerPolicy) -> Reply:
        return await sync_to_async(self.acquire)(name, policy)

    async def arecord(
        self,
        name: str,
        policy: BreakerPolicy,
        gen: int,
        lease: str,
        outcome: Outcome,
        slow: bool,
    ) -> Reply:
        return await sync_to_async(self.record)(name, policy, gen, lease, outcome, slow)


wall_clock: Clock = time.time
