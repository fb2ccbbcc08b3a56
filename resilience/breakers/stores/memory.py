"""State in this process only: tests, and the Redis store's fallback while Redis is down."""

import copy
import threading

from resilience.breakers.machine import Machine
from resilience.breakers.stores.base import BreakerStore, Clock, Operation, T, to_ms, wall_clock


class MemoryStore(BreakerStore):
    label = "memory"

    def __init__(self, *, clock: Clock = wall_clock) -> None:
        self._clock = clock
        self._machines: dict[str, Machine] = {}
        self._lock = threading.Lock()  # one for all breakers: each operation is microseconds

    def update(self, name: str, operation: Operation[T]) -> T:
        with self._lock:
            machine = self._machines.setdefault(name, Machine())
            return operation(machine, to_ms(self._clock()))

    def read(self, name: str) -> tuple[Machine, int]:
        with self._lock:
            return copy.deepcopy(self._machines.get(name) or Machine()), to_ms(self._clock())
