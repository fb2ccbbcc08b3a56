"""The breaker's rules, the one state machine every store applies (memory, database, Redis).

resilience4j's rules plus a consecutive-failure trip, as in Sentry's and pybreaker's; the states
and settings are described in docs/architecture.md, "Circuit breakers". Every transition
increments `gen`, and an outcome of another generation (admitted before the state changed) is
dropped. Times are integer milliseconds. Stores load a Machine, apply one operation to it and
write it back atomically.
"""

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from resilience.breakers.config import BreakerPolicy, Mode
from resilience.breakers.state import Outcome, Reason, Reply, Snapshot, State, Transition

CLOSED, OPEN, HALF_OPEN = State.CLOSED, State.OPEN, State.HALF_OPEN
METRICS_ONLY_GEN = -1  # record() generation meaning "count it, never change state"


@dataclass
class Machine:
    state: State = CLOSED
    gen: int = 1
    opened_at: int = 0
    open_until: int = 0
    trips: int = 0
    consecutive: int = 0
    trial_successes: int = 0
    lease_seq: int = 0
    leases: dict[str, int] = field(default_factory=dict)  # half-open lease -> expiry
    window: str = ""  # the shape ("count:100") the calls below were counted in
    ring: str = ""  # count window: one digit per call, 1 = failed + 2 = slow, newest last
    buckets: list[list[int]] = field(default_factory=list)  # time window: [second, n, f, s]

    def acquire(self, name: str, p: BreakerPolicy, now: int) -> Reply:
        transition = None
        if self.state == OPEN:
            if now < self.open_until:
                return Reply(False, OPEN, self.gen, "", (self.open_until - now) / 1000)
            transition = self._move(name, HALF_OPEN, Reason.RECOVERY_ELAPSED, p, now)
        if self.state == HALF_OPEN:
            if self.trial_successes >= p.success_threshold:
                # Only reachable when the thresholds were lowered while trials were running.
                transition = self._move(name, CLOSED, Reason.TRIALS_SUCCEEDED, p, now)
                return Reply(True, CLOSED, self.gen, "", 0.0, transition)
            self.leases = {lease: expiry for lease, expiry in self.leases.items() if expiry > now}
            if len(self.leases) + self.trial_successes < p.half_open_max_calls:
                self.lease_seq += 1
                lease = f"{self.gen}:{self.lease_seq}"
                self.leases[lease] = now + round(p.max_half_open_wait * 1000)
                return Reply(True, HALF_OPEN, self.gen, lease, 0.0, transition)
            wait = min(self.leases.values()) - now if self.leases else 0
            return Reply(False, HALF_OPEN, self.gen, "", wait / 1000, transition)
        return Reply(True, CLOSED, self.gen, "", 0.0, transition)

    def record(
        self,
        name: str,
        p: BreakerPolicy,
        now: int,
        gen: int,
        lease: str,
        outcome: Outcome,
        slow: bool,
    ) -> Reply:
        transition = None
        valid = True
        if lease:
            expiry = self.leases.pop(lease, None)
            # An unknown lease expired (its slot went to another trial) or belongs to an
            # earlier half-open period: its outcome no longer counts.
            valid = expiry is not None and expiry > now
        if valid and outcome != Outcome.IGNORED and gen in (self.gen, METRICS_ONLY_GEN):
            failed = outcome == Outcome.FAILURE
            if self.state == CLOSED or gen == METRICS_ONLY_GEN:
                self._add(p, now, failed, slow)
                self.consecutive = self.consecutive + 1 if failed else 0
                reason = self._trip_reason(p, now)
                if reason and gen != METRICS_ONLY_GEN and p.mode != Mode.METRICS_ONLY:
                    transition = self._move(name, OPEN, reason, p, now)
            elif self.state == HALF_OPEN and lease:
                if failed or (slow and p.slow_call_rate_threshold > 0):
                    transition = self._move(name, OPEN, Reason.TRIAL_FAILED, p, now)
                else:
                    self.trial_successes += 1
                    if self.trial_successes >= p.success_threshold:
                        reason = Reason.TRIALS_SUCCEEDED
                        transition = self._move(name, CLOSED, reason, p, now)
        retry_after = (self.open_until - now) / 1000 if self.state == OPEN else 0.0
        return Reply(True, self.state, self.gen, "", retry_after, transition)

    def hold(self, name: str, p: BreakerPolicy, now: int, hold_ms: int) -> Reply:
        until = now + hold_ms
        transition = None
        if self.state != OPEN:
            transition = self._move(name, OPEN, Reason.RETRY_AFTER, p, now)
            self.open_until = until
            transition = dataclasses.replace(transition, open_for=hold_ms / 1000)
        elif until > self.open_until:
            self.open_until = until
        return Reply(False, OPEN, self.gen, "", (self.open_until - now) / 1000, transition)

    def reset(self, name: str, p: BreakerPolicy, now: int) -> Transition:
        self.trips = 0
        return self._move(name, CLOSED, Reason.RESET, p, now)

    def snapshot(self, name: str, p: BreakerPolicy, now: int) -> Snapshot:
        calls, failures, slow = self._counters(p, now)
        retry_after = max(self.open_until - now, 0) / 1000 if self.state == OPEN else 0.0
        # An OPEN breaker whose time is up reads HALF_OPEN now, not at the next call: a breaker
        # nobody calls any more must not read "open" for ever.
        return Snapshot(
            name=name,
            state=HALF_OPEN if self.state == OPEN and retry_after <= 0 else self.state,
            gen=self.gen,
            calls=calls,
            failures=failures,
            slow=slow,
            consecutive_failures=self.consecutive,
            trips=self.trips,
            retry_after=retry_after,
            active_trials=sum(1 for expiry in self.leases.values() if expiry > now),
            trial_successes=self.trial_successes,
            opened_at=_datetime(self.opened_at) if self.state != CLOSED else None,
        )

    def _add(self, p: BreakerPolicy, now: int, failed: bool, slow: bool) -> None:
        if self.window != _shape(p):
            self._clear_window(p)  # the window was reconfigured: start afresh
        if p.time_window:
            second = now // 1000
            self.buckets = [b for b in self.buckets if b[0] > second - p.window_size]
            # A clock stepping back lands in the newest bucket rather than reordering them.
            if not self.buckets or self.buckets[-1][0] < second:
                self.buckets.append([second, 0, 0, 0])
            tail = self.buckets[-1]
            tail[1] += 1
            tail[2] += failed
            tail[3] += slow
        else:
            self.ring = (self.ring + str(failed + 2 * slow))[-p.window_size :]

    def _counters(self, p: BreakerPolicy, now: int) -> tuple[int, int, int]:
        """(calls, failures, slow calls) in the window as of `now`."""
        if self.window != _shape(p):
            return 0, 0, 0
        if p.time_window:
            live = [b for b in self.buckets if b[0] > now // 1000 - p.window_size]
            return sum(b[1] for b in live), sum(b[2] for b in live), sum(b[3] for b in live)
        ring = self.ring
        both = ring.count("3")
        return len(ring), ring.count("1") + both, ring.count("2") + both

    def _clear_window(self, p: BreakerPolicy) -> None:
        self.window, self.ring, self.buckets = _shape(p), "", []

    def _trip_reason(self, p: BreakerPolicy, now: int) -> Reason | None:
        if p.failure_threshold and self.consecutive >= p.failure_threshold:
            return Reason.CONSECUTIVE_FAILURES
        n, failures, slow = self._counters(p, now)
        if n >= p.minimum_calls:
            if p.failure_rate_threshold > 0 and failures * 100 >= p.failure_rate_threshold * n:
                return Reason.FAILURE_RATE
            if p.slow_call_rate_threshold > 0 and slow * 100 >= p.slow_call_rate_threshold * n:
                return Reason.SLOW_CALL_RATE
        return None

    def _move(self, name: str, to: State, reason: Reason, p: BreakerPolicy, now: int) -> Transition:
        previous = self.state
        counters = (*self._counters(p, now), self.consecutive)
        self.state = to
        self.gen += 1
        self.leases = {}
        self.trial_successes = 0
        open_for = 0.0
        if to == OPEN:
            self.trips += 1
            self.opened_at = now
            # Exponential in consecutive openings, capped (64 doublings pass any sane cap).
            backoff = p.recovery_backoff ** min(self.trips - 1, 64)
            longest = round(p.recovery_timeout_max * 1000)
            self.open_until = now + int(min(round(p.recovery_timeout * 1000) * backoff, longest))
            open_for = (self.open_until - now) / 1000
        elif to == CLOSED:
            self.trips = self.consecutive = self.opened_at = self.open_until = 0
            self._clear_window(p)
        return Transition(name, previous, to, reason, self.gen, *counters, self.trips, open_for)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"state": int(self.state)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Machine":
        """The machine `to_dict` gave; keys of another layout are ignored (a fresh window)."""
        known = {k: copy.deepcopy(v) for k, v in (data or {}).items() if k in _FIELDS}
        return dataclasses.replace(cls(**known), state=State(known.get("state", 0)))


_FIELDS = frozenset(f.name for f in dataclasses.fields(Machine))


def _shape(p: BreakerPolicy) -> str:
    return f"{p.window_type}:{p.window_size}"


def _datetime(ms: int) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms else None
