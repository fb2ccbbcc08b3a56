"""State in this process only: tests, and the Redis store's fallback while Redis is down."""

import threading
from typing import Self

from resilience.breakers.config import BreakerPolicy
from resilience.breakers.machine import Machine
from resilience.breakers.state import Outcome, Reply, Snapshot, Transition
from resilience.breakers.stores.base import BreakerStore, Clock, Recorder, to_ms, wall_clock


class MemoryStore(BreakerStore):
    label = "memory"

    def __init__(self, *, clock: Clock = wall_clock) -> None:
        self._clock = clock
        self._machines: dict[str, Machine] = {}
        # One lock for all breakers: each operation is a few microseconds of pure Python.
        self._lock = threading.Lock()
        self._ms_clock = self._now  # bound once: record() passes it on every call

    @classmethod
    def from_settings(cls) -> Self:
        return cls()

    def _now(self) -> int:
        return round(self._clock() * 1000)

    def _machine(self, name: str) -> Machine:
        machine = self._machines.get(name)
        if machine is None:
            machine = self._machines.setdefault(name, Machine())
        return machine

    def acquire(self, name: str, policy: BreakerPolicy) -> Reply:
        with self._lock:
            return self._machine(name).acquire(name, policy, to_ms(self._clock()))

    def record(
        self,
        name: str,
        policy: BreakerPolicy,
        gen: int,
        lease: str,
        outcome: Outcome,
        slow: bool,
    ) -> Reply:
        with self._lock:
            machine = self._machines.get(name) or self._machine(name)
            return machine.record(name, policy, self._ms_clock, gen, lease, outcome, slow)

    def hold(self, name: str, policy: BreakerPolicy, seconds: float) -> Reply:
        with self._lock:
            return self._machine(name).hold(name, policy, to_ms(self._clock()), to_ms(seconds))

    def snapshot(self, name: str, policy: BreakerPolicy) -> Snapshot:
        with self._lock:
            return self._machine(name).snapshot(name, policy, to_ms(self._clock()))

    def reset(self, name: str, policy: BreakerPolicy) -> Transition:
        with self._lock:
            return self._machine(name).reset(name, policy, to_ms(self._clock()))

    def bind(self, name: str) -> Recorder:
        # The hot path of a breaker on this store: its lock, state and clock bound once.
        machine = self._machine(name)
        lock, clock, record = self._lock, self._ms_clock, machine.record

        def bound(
            policy: BreakerPolicy, gen: int, lease: str, outcome: Outcome, slow: bool
        ) -> Reply:
            with lock:
                return record(name, policy, clock, gen, lease, outcome, slow)

        return bound

    def forget(self) -> None:
        """Drop every breaker's state (the Redis store does this when Redis comes back).

        Reset in place: recorders from `bind` keep pointing at the same objects."""
        with self._lock:
            for machine in self._machines.values():
                machine.__init__()  # type: ignore[misc]

    # No I/O: the async variants run inline instead of hopping to a thread.
    async def aacquire(self, name: str, policy: BreakerPolicy) -> Reply:
        return self.acquire(name, policy)

    async def arecord(
        self,
        name: str,
        policy: BreakerPolicy,
        gen: int,
        lease: str,
        outcome: Outcome,
        slow: bool,
    ) -> Reply:
        return self.record(name, policy, gen, lease, outcome, slow)
