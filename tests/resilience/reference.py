"""A deliberately plain model of the breaker's rules, to check the stores against.

It keeps every call in a list and recomputes the window from it, judges the rules after every
outcome, and knows nothing of ring buffers, buckets, packed headers or skipped checks: if the
optimised stores and this disagree, one of them is wrong.
"""

from dataclasses import dataclass, field

from resilience.breakers import BreakerPolicy

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass
class Call:
    second: int
    failed: bool
    slow: bool


@dataclass
class Reference:
    policy: BreakerPolicy
    state: str = CLOSED
    gen: int = 1
    open_until: int = 0
    trips: int = 0
    consecutive: int = 0
    successes: int = 0
    calls: list[Call] = field(default_factory=list)
    leases: dict[str, int] = field(default_factory=dict)
    lease_seq: int = 0

    def window(self, now: int) -> list[Call]:
        p = self.policy
        if p.window_type == "count":
            return self.calls[-p.window_size :]
        return [c for c in self.calls if c.second > now // 1000 - p.window_size]

    def counters(self, now: int) -> tuple[int, int, int]:
        window = self.window(now)
        return len(window), sum(c.failed for c in window), sum(c.slow for c in window)

    def state_now(self, now: int) -> str:
        """What a snapshot reads: open past its open period reads half-open (nobody called)."""
        return HALF_OPEN if self.state == OPEN and now >= self.open_until else self.state

    def acquire(self, now: int) -> tuple[bool, str, int]:
        """(admitted, lease, retry_ms)."""
        if self.state == OPEN:
            if now < self.open_until:
                return False, "", self.open_until - now
            self._enter(HALF_OPEN)
        if self.state == HALF_OPEN:
            self.leases = {k: v for k, v in self.leases.items() if v > now}
            if len(self.leases) + self.successes < self.policy.half_open_max_calls:
                self.lease_seq += 1
                lease = f"{self.gen}:{self.lease_seq}"
                self.leases[lease] = now + round(self.policy.max_half_open_wait * 1000)
                return True, lease, 0
            return False, "", min(self.leases.values()) - now
        return True, "", 0

    def record(self, now: int, gen: int, lease: str, outcome: str, slow: bool) -> None:
        """outcome: success, failure or ignored."""
        p = self.policy
        if lease:
            expiry = self.leases.pop(lease, None)
            if expiry is None or expiry <= now:
                return
        if outcome == "ignored" or gen != self.gen:
            return
        failed = outcome == "failure"
        if self.state == CLOSED:
            self.calls.append(Call(now // 1000, failed, slow))
            self.consecutive = self.consecutive + 1 if failed else 0
            n, failures, slows = self.counters(now)
            too_many = p.failure_threshold and self.consecutive >= p.failure_threshold
            judged = n >= p.minimum_calls
            failing = p.failure_rate_threshold and failures * 100 >= p.failure_rate_threshold * n
            slowing = p.slow_call_rate_threshold and slows * 100 >= p.slow_call_rate_threshold * n
            if too_many or (judged and (failing or slowing)):
                self._open(now)
        elif self.state == HALF_OPEN and lease:
            if failed or (slow and p.slow_call_rate_threshold > 0):
                self._open(now)
            else:
                self.successes += 1
                if self.successes >= p.success_threshold:
                    self._enter(CLOSED)
                    self.trips = 0
                    self.consecutive = 0
                    self.calls = []

    def _open(self, now: int) -> None:
        self._enter(OPEN)
        self.trips += 1
        p = self.policy
        duration = min(
            round(p.recovery_timeout * 1000) * p.recovery_backoff ** (self.trips - 1),
            round(p.recovery_timeout_max * 1000),
        )
        self.open_until = now + int(duration)

    def _enter(self, state: str) -> None:
        self.state = state
        self.gen += 1
        self.leases = {}
        self.successes = 0
