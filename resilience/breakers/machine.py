"""The state machine in Python, used by the memory and database stores.

`stores/redis_scripts.py` implements the same rules in Lua; the property tests check both
against one reference model, so a change here needs the same change there.

Rules (resilience4j's, plus a consecutive-failure trip as in Sentry's and pybreaker's):

* CLOSED: every outcome goes into a window (last N calls, or last N seconds in one-second
  buckets). It opens when `failure_threshold` consecutive failures happened, or, once the window
  holds `minimum_calls`, when the failure rate or the slow-call rate reaches its threshold. The
  rules are judged after each failure, slow call, or call that grew a count window (or any call
  in a time window, whose evictions can raise a rate): a fast success replacing another call in
  a full count window cannot raise either rate, and skipping the check keeps the hot path short.
  (So a threshold lowered by an operator takes effect at the next failure or slow call.)
* OPEN: calls are rejected until `open_until`; the open time grows by `recovery_backoff` for each
  consecutive opening, up to `recovery_timeout_max`. The first acquire after it moves to HALF_OPEN.
* hold (a dependency's Retry-After): OPEN until `now + hold`, from any state; an OPEN breaker
  only ever has its open period lengthened by it, never shortened. Then HALF_OPEN as usual.
* HALF_OPEN: at most `half_open_max_calls` trials in total, each holding a lease that expires after
  `max_half_open_wait` (an expired lease frees its slot, so a crashed trial cannot wedge it). A
  failed (or, with the slow-call rule on, slow) trial re-opens it; `success_threshold` successful
  trials close it, clearing the window.

Every transition increments `gen`. An outcome reported with another generation (a call admitted
before the state changed) is dropped, so a stale result never counts towards the new state.
Times are integer milliseconds so Python and Lua agree to the millisecond. `record` takes a
clock rather than a time and reads it only when it needs it (not for the common case), as the
Lua script does; within one operation it is read at most once.
"""

import dataclasses
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from resilience.breakers.config import BreakerPolicy
from resilience.breakers.state import (
    Outcome,
    Reason,
    Reply,
    Snapshot,
    State,
    Transition,
    state_now,
)

# Enum members as module constants: attribute lookups on enum classes are slow on the hot path.
CLOSED, OPEN, HALF_OPEN = State.CLOSED, State.OPEN, State.HALF_OPEN
FAILURE, IGNORED = Outcome.FAILURE, Outcome.IGNORED
EMPTY_SLOT = 48  # b"0": a count-window slot that holds no call yet
FAILED_BIT = 2
SLOW_BIT = 4
METRICS_ONLY_GEN = -1  # record() generation meaning "count it, never change state"


class Machine:
    __slots__ = (
        "_reply",
        "buckets",
        "calls",
        "consecutive",
        "failures",
        "gen",
        "lease_seq",
        "leases",
        "open_until",
        "opened_at",
        "pos",
        "ring",
        "slow",
        "state",
        "trial_successes",
        "trips",
        "wsize",
        "wtype",
    )

    def __init__(self) -> None:
        self.state = State.CLOSED
        self.gen = 1
        self.opened_at = 0
        self.open_until = 0
        self.trips = 0
        self.consecutive = 0
        self.trial_successes = 0
        self.lease_seq = 0
        self.leases: dict[str, int] = {}
        self.wtype = -1  # window shape the counters below belong to; -1: none yet
        self.wsize = 0
        self.ring = bytearray()
        self.pos = 0
        self.buckets: deque[list[int]] = deque()  # [second, calls, failures, slow]
        self.calls = 0
        self.failures = 0
        self.slow = 0
        self._reply: Reply | None = None  # the "still CLOSED, nothing changed" reply of `gen`

    # --- operations -----------------------------------------------------------------------

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
            leases = self.leases
            for lease in [k for k, expiry in leases.items() if expiry <= now]:
                del leases[lease]
            if len(leases) + self.trial_successes < p.half_open_max_calls:
                self.lease_seq += 1
                lease = f"{self.gen}:{self.lease_seq}"
                leases[lease] = now + p.trial_wait_ms
                return Reply(True, HALF_OPEN, self.gen, lease, 0.0, transition)
            wait = min(leases.values()) - now if leases else 0
            return Reply(False, HALF_OPEN, self.gen, "", wait / 1000, transition)
        return Reply(True, CLOSED, self.gen, "", 0.0, transition)

    def record(
        self,
        name: str,
        p: BreakerPolicy,
        clock: Callable[[], int],
        gen: int,
        lease: str,
        outcome: Outcome,
        slow: bool,
    ) -> Reply:
        if gen == self.gen and self.state == CLOSED and not lease and outcome != IGNORED:
            # The hot path (an outcome while CLOSED) runs for every call: inlined and short.
            failed = outcome == FAILURE
            size = p.window_size
            if p.time_window or self.wtype or self.wsize != size:
                grew = self._add(p, clock(), failed, slow)
            else:  # _add for a count window of the right shape, cheapest when nothing changes
                ring, pos = self.ring, self.pos
                old = ring[pos]
                new = 49 + 2 * failed + 4 * slow  # EMPTY_SLOT + 1 + FAILED_BIT, SLOW_BIT
                grew = old == EMPTY_SLOT
                if old != new:  # a call replacing one of the same kind changes no counter
                    ring[pos] = new
                    if grew:
                        self.calls += 1
                    else:
                        self.failures -= (old - EMPTY_SLOT & FAILED_BIT) >> 1
                        self.slow -= (old - EMPTY_SLOT & SLOW_BIT) >> 2
                    if failed:
                        self.failures += 1
                    if slow:
                        self.slow += 1
                self.pos = pos + 1 if pos + 1 < size else 0
            if failed:
                self.consecutive += 1
            elif self.consecutive:
                self.consecutive = 0
            # Only a failure, a slow call or a growing window can raise a rate (module doc).
            if (failed or slow or grew) and not p.metrics_only:
                reason = self._trip_reason(p)
                if reason:
                    transition = self._move(name, OPEN, reason, p, clock())
                    return Reply(True, OPEN, self.gen, "", transition.open_for, transition)
            reply = self._reply
            if reply is None or reply.gen != gen:
                reply = self._reply = Reply(True, CLOSED, gen, "", 0.0, None)
            return reply
        return self._record_other(name, p, clock(), gen, lease, outcome, slow)

    def _record_other(
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
        if valid and outcome != IGNORED and (gen == self.gen or gen == METRICS_ONLY_GEN):
            failed = outcome == FAILURE
            if self.state == CLOSED or gen == METRICS_ONLY_GEN:
                grew = self._add(p, now, failed, slow)
                self.consecutive = self.consecutive + 1 if failed else 0
                judged = failed or slow or grew
                if judged and gen != METRICS_ONLY_GEN and not p.metrics_only:
                    reason = self._trip_reason(p)
                    if reason:
                        transition = self._move(name, OPEN, reason, p, now)
            elif self.state == HALF_OPEN and lease:
                if failed or (slow and p.slow_call_rate_threshold > 0):
                    transition = self._move(name, OPEN, Reason.TRIAL_FAILED, p, now)
                else:
                    self.trial_successes += 1
                    if self.trial_successes >= p.success_threshold:
                        reason = Reason.TRIALS_SUCCEEDED
                        transition = self._move(name, CLOSED, reason, p, now)
        if self.state == OPEN:
            return Reply(True, OPEN, self.gen, "", (self.open_until - now) / 1000, transition)
        return Reply(True, self.state, self.gen, "", 0.0, transition)

    def hold(self, name: str, p: BreakerPolicy, now: int, hold_ms: int) -> Reply:
        """Reject every call for `hold_ms` (the caller caps it); see the module docstring."""
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
        return self._move(name, State.CLOSED, Reason.RESET, p, now)

    def snapshot(self, name: str, p: BreakerPolicy, now: int) -> Snapshot:
        calls, failures, slow = self.calls, self.failures, self.slow
        if self.wtype != (1 if p.time_window else 0) or self.wsize != p.window_size:
            calls = failures = slow = 0
        elif p.time_window:
            horizon = now // 1000 - p.window_size
            live = [b for b in self.buckets if b[0] > horizon]
            calls = sum(b[1] for b in live)
            failures = sum(b[2] for b in live)
            slow = sum(b[3] for b in live)
        is_open = self.state == State.OPEN
        retry_after = max(self.open_until - now, 0) / 1000 if is_open else 0.0
        return Snapshot(
            name=name,
            state=state_now(self.state, retry_after),
            gen=self.gen,
            calls=calls,
            failures=failures,
            slow=slow,
            consecutive_failures=self.consecutive,
            trips=self.trips,
            retry_after=retry_after,
            active_trials=sum(1 for expiry in self.leases.values() if expiry > now),
            trial_successes=self.trial_successes,
            opened_at=ms_to_datetime(self.opened_at) if self.state != State.CLOSED else None,
        )

    # --- internals ------------------------------------------------------------------------

    def _trip_reason(self, p: BreakerPolicy) -> Reason | None:
        if p.failure_threshold and self.consecutive >= p.failure_threshold:
            return Reason.CONSECUTIVE_FAILURES
        n = self.calls
        if n >= p.minimum_calls:
            if p.failure_rate_threshold > 0 and self.failures * 100 >= p.failure_rate_threshold * n:
                return Reason.FAILURE_RATE
            if p.slow_call_rate_threshold > 0 and self.slow * 100 >= p.slow_call_rate_threshold * n:
                return Reason.SLOW_CALL_RATE
        return None

    def _move(self, name: str, to: State, reason: Reason, p: BreakerPolicy, now: int) -> Transition:
        previous = self.state
        counters = (self.calls, self.failures, self.slow, self.consecutive)
        self.state = to
        self.gen += 1
        self.leases.clear()
        self.trial_successes = 0
        open_for = 0.0
        if to == OPEN:
            self.trips += 1
            self.opened_at = now
            self.open_until = now + p.open_duration_ms(self.trips)
            open_for = (self.open_until - now) / 1000
        elif to == CLOSED:
            self.trips = 0
            self.consecutive = 0
            self.opened_at = self.open_until = 0
            self._clear_window(p)
        return Transition(name, previous, to, reason, self.gen, *counters, self.trips, open_for)

    def _clear_window(self, p: BreakerPolicy) -> None:
        self.wtype = 1 if p.time_window else 0
        self.wsize = p.window_size
        self.ring = bytearray() if p.time_window else bytearray(b"0" * p.window_size)
        self.pos = 0
        self.buckets = deque()
        self.calls = self.failures = self.slow = 0

    def _add(self, p: BreakerPolicy, now: int, failed: bool, slow: bool) -> bool:
        """Count one outcome; True if it may have raised a rate (see the module docstring)."""
        size = p.window_size
        if self.wsize != size or self.wtype != p.time_window:
            self._clear_window(p)  # the window's shape was reconfigured: start afresh
        if p.time_window:
            second = now // 1000
            horizon = second - size
            buckets = self.buckets
            while buckets and buckets[0][0] <= horizon:
                _, c, f, s = buckets.popleft()
                self.calls -= c
                self.failures -= f
                self.slow -= s
            # A clock stepping back lands in the newest bucket rather than reordering them.
            if buckets and buckets[-1][0] >= second:
                tail = buckets[-1]
            else:
                tail = [second, 0, 0, 0]
                buckets.append(tail)
            tail[1] += 1
            tail[2] += failed
            tail[3] += slow
            self.calls += 1
            grew = True  # evicting old buckets may have raised the rates
        else:
            pos = self.pos
            old = self.ring[pos] - EMPTY_SLOT
            if old:
                self.failures -= (old & FAILED_BIT) >> 1
                self.slow -= (old & SLOW_BIT) >> 2
            else:
                self.calls += 1  # a free slot: the window grows; otherwise a call replaces one
            grew = not old
            self.ring[pos] = EMPTY_SLOT + 1 + FAILED_BIT * failed + SLOW_BIT * slow
            self.pos = pos + 1 if pos + 1 < size else 0
        self.failures += failed
        self.slow += slow
        return grew

    # --- persistence (database store) ------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {k: getattr(self, k) for k in self.__slots__ if k[0] != "_"}
        data["state"] = int(self.state)
        data["ring"] = self.ring.decode("ascii")
        data["buckets"] = list(self.buckets)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Machine":
        machine = cls()
        for key in cls.__slots__:
            if key in data and key[0] != "_":
                setattr(machine, key, data[key])
        machine.state = State(machine.state)
        machine.ring = bytearray(str(data.get("ring", "")).encode("ascii"))
        machine.buckets = deque(list(b) for b in data.get("buckets", []))
        machine.leases = dict(machine.leases)
        return machine


def ms_to_datetime(ms: int) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms else None
