"""The interface of the breaker state stores (picked by dotted path in settings.BREAKER_STORE).

A store keeps one `Machine` per breaker: `update` applies one operation atomically, `read`
returns the state for display; the operations are written once, here, on top of them. A store
never runs the guarded call, so it never holds a lock while that call runs.
"""

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Self, TypeVar

from resilience.breakers.config import BreakerPolicy
from resilience.breakers.machine import Machine
from resilience.breakers.state import Outcome, Reply, Snapshot, Transition

T = TypeVar("T")
Clock = Callable[[], float]  # seconds; wall-clock time unless a test injects its own
Operation = Callable[[Machine, int], T]  # (the breaker's machine, now in ms) -> result

wall_clock: Clock = time.time


def to_ms(seconds: float) -> int:
    return round(seconds * 1000)


class BreakerStore(ABC):
    label = "base"  # metrics label

    @classmethod
    def from_settings(cls) -> Self:
        return cls()

    @abstractmethod
    def update(self, name: str, operation: Operation[T]) -> T:
        """Apply `operation` to `name`'s machine atomically and keep what it changed."""

    @abstractmethod
    def read(self, name: str) -> tuple[Machine, int]:
        """`name`'s machine (to look at, not to change) and the store's time now in ms."""

    def acquire(self, name: str, policy: BreakerPolicy) -> Reply:
        return self.update(name, lambda machine, now: machine.acquire(name, policy, now))

    def record(
        self,
        name: str,
        policy: BreakerPolicy,
        gen: int,
        lease: str,
        outcome: Outcome,
        slow: bool,
    ) -> Reply:
        return self.update(
            name, lambda machine, now: machine.record(name, policy, now, gen, lease, outcome, slow)
        )

    def hold(self, name: str, policy: BreakerPolicy, seconds: float) -> Reply:
        hold_ms = to_ms(seconds)
        return self.update(name, lambda machine, now: machine.hold(name, policy, now, hold_ms))

    def reset(self, name: str, policy: BreakerPolicy) -> Transition:
        return self.update(name, lambda machine, now: machine.reset(name, policy, now))

    def snapshot(self, name: str, policy: BreakerPolicy) -> Snapshot:
        machine, now = self.read(name)
        return machine.snapshot(name, policy, now)
