"""The breaker's states, the values the stores hand back, and its one exception."""

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any


class _Slugged(IntEnum):
    @property
    def slug(self) -> str:  # in events, metrics labels and the admin
        return self.name.lower()


class State(_Slugged):
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class Outcome(IntEnum):
    SUCCESS = 1  # the dependency answered (client errors such as HTTP 404 included)
    FAILURE = 2  # the dependency is unhealthy: timeouts, 5xx, 429, connection errors
    IGNORED = 3  # says nothing about the dependency (e.g. the caller was cancelled)


class Reason(_Slugged):
    CONSECUTIVE_FAILURES = 1
    FAILURE_RATE = 2
    SLOW_CALL_RATE = 3
    TRIAL_FAILED = 4
    TRIALS_SUCCEEDED = 5
    RECOVERY_ELAPSED = 6
    RESET = 7
    RETRY_AFTER = 8  # the dependency asked to be left alone (Retry-After, overloaded)


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of state, with the counters that caused it (for logs, events, alerts)."""

    name: str
    from_state: State
    to_state: State
    reason: Reason
    gen: int  # generation after the change; every transition increments it
    calls: int  # calls in the window at the time
    failures: int
    slow: int
    consecutive_failures: int
    trips: int  # consecutive openings without a successful close
    open_for: float  # seconds until the next trial when to_state is OPEN, else 0
    local: bool = False  # decided by a process-local fallback store, not the shared one

    @property
    def counters(self) -> dict[str, Any]:
        """The figures the log line, the event row and the alert carry, reason first."""
        skip = ("name", "from_state", "to_state")
        return {k: v for k, v in asdict(self).items() if k not in skip} | {
            "reason": self.reason.slug
        }


@dataclass(frozen=True, slots=True)
class Reply:
    """A store's answer to acquire/record/hold: whether the call may run, and the state after."""

    admitted: bool
    state: State
    gen: int
    lease: str  # half-open trial lease to hand back on record; "" when none
    retry_after: float  # seconds until a trial may be admitted, when not admitted
    transition: Transition | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The live state of one breaker as the store sees it now (admin, health checks)."""

    name: str
    state: State  # as a call would meet it now
    gen: int
    calls: int  # calls in the current window
    failures: int
    slow: int
    consecutive_failures: int
    trips: int
    retry_after: float  # seconds until the next trial while OPEN (0 when one is due)
    active_trials: int  # unexpired half-open leases
    trial_successes: int
    opened_at: datetime | None  # when it last opened, if it is open or half-open

    @property
    def failure_rate(self) -> float:
        return 100.0 * self.failures / self.calls if self.calls else 0.0

    @property
    def slow_rate(self) -> float:
        return 100.0 * self.slow / self.calls if self.calls else 0.0


class BreakerOpen(Exception):
    """The breaker rejected the call without running it. `retry_after`: seconds until it admits
    a trial (for a forced-open breaker, the recovery timeout, as a hint to look again then)."""

    def __init__(self, name: str, retry_after: float, *, forced: bool = False) -> None:
        self.name = name
        self.retry_after = max(retry_after, 0.0)
        self.forced = forced
        why = "forced open" if forced else "open"
        super().__init__(f"circuit breaker {name!r} is {why}; retry in {self.retry_after:.1f}s")
