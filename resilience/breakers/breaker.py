"""The breaker: admits or rejects calls, measures them, and reports outcomes to its store.

Each store reply's state is trusted for VIEW_TTL, so a closed breaker costs one store operation
per call (the record) and an open one rejects without any; half-open trials are admitted by the
store alone (docs/architecture.md, "State stores", for the trade-off). A store error never
breaks the guarded call: it is logged and the call let through.
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from resilience import metrics
from resilience.breakers.classify import classify_exception
from resilience.breakers.config import BreakerPolicy, Mode
from resilience.breakers.machine import METRICS_ONLY_GEN
from resilience.breakers.policies import PolicySource
from resilience.breakers.state import BreakerOpen, Outcome, Reply, Snapshot, State, Transition
from resilience.breakers.stores.base import BreakerStore

logger = logging.getLogger(__name__)

T = TypeVar("T")
VIEW_TTL = 1.0  # seconds a reply's state is trusted without asking the store again
ERROR_LOG_INTERVAL = 60.0  # seconds between tracebacks for a store that keeps failing

Listener = Callable[[Transition], None]


class Breaker:
    def __init__(
        self,
        name: str,
        *,
        store: BreakerStore,
        policies: PolicySource,
        listener: Listener | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.store = store
        self._policies = policies
        self._listener = listener
        self._clock = clock
        self._error_logged_at = -ERROR_LOG_INTERVAL
        # (state, gen, trusted until [s], open until [ms]), replaced whole for concurrent readers.
        self._view: tuple[State, int, float, int] = (State.CLOSED, 0, 0.0, 0)

    @property
    def policy(self) -> BreakerPolicy:
        return self._policies.get(self.name)

    def snapshot(self) -> Snapshot:
        return self.store.snapshot(self.name, self.policy)

    def hold(self, seconds: float | None = None) -> None:
        """Reject every call in every process for `seconds` (a Retry-After; None: the recovery
        timeout), at most recovery_timeout_max."""
        policy = self.policy
        wait = min(
            policy.recovery_timeout if seconds is None else seconds, policy.recovery_timeout_max
        )
        if not policy.enabled or policy.mode != Mode.NORMAL or wait <= 0:
            return  # an operator's override decides, or there is nothing to wait for
        reply = self._ask("hold", self.store.hold, policy, wait)
        if reply is not None:
            metrics.BREAKER_HOLDS.labels(breaker=self.name).observe(wait)

    def call(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run `fn(*args, **kwargs)` through the breaker; raises BreakerOpen without running
        it when the breaker rejects the call."""
        policy = self.policy
        gen, lease = self._admit(policy)
        if not gen:
            return fn(*args, **kwargs)
        started = self._clock()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            self._record(policy, gen, lease, classify_exception(exc), started)
            raise
        self._record(policy, gen, lease, Outcome.SUCCESS, started)
        return result

    def _admit(self, policy: BreakerPolicy) -> tuple[int, str]:
        # (generation, half-open lease) the call runs in; generation 0: run, record nothing.
        if not policy.enabled or policy.mode == Mode.FORCED_CLOSED:
            return 0, ""
        if policy.mode == Mode.FORCED_OPEN:
            self._reject(policy.recovery_timeout, forced=True)
        if policy.mode == Mode.METRICS_ONLY:
            return METRICS_ONLY_GEN, ""  # admitted, counted, never rejected
        state, gen, trusted_until, open_until = self._view
        now = self._clock()
        if now < trusted_until and state == State.CLOSED:
            return gen, ""
        if now < trusted_until and state == State.OPEN and round(now * 1000) < open_until:
            self._reject((open_until - round(now * 1000)) / 1000)
        reply = self._ask("acquire", self.store.acquire, policy)
        if reply is None:
            return 0, ""
        if not reply.admitted:
            self._reject(reply.retry_after)
        return reply.gen, reply.lease

    def forget_view(self) -> None:
        """Ask the store on the next call (after an operator changed the shared state)."""
        self._view = (State.CLOSED, 0, 0.0, 0)

    def _reject(self, retry_after: float, *, forced: bool = False) -> None:
        metrics.BREAKER_REJECTIONS.labels(breaker=self.name).inc()
        raise BreakerOpen(self.name, retry_after, forced=forced)

    def _record(
        self, policy: BreakerPolicy, gen: int, lease: str, outcome: Outcome, started: float
    ) -> None:
        elapsed = self._clock() - started
        slow = 0 < policy.slow_call_duration <= elapsed
        if outcome == Outcome.SUCCESS and 0 < policy.call_timeout < elapsed:
            # A sync call cannot be interrupted safely; one that overran still counts as a
            # failure (its result is returned all the same).
            outcome = Outcome.FAILURE
        if outcome == Outcome.IGNORED and not lease:
            return  # nothing to count and no trial slot to hand back
        self._ask("record", self.store.record, policy, gen, lease, outcome, slow)

    def _ask(self, operation: str, method: Callable[..., Reply], *args: object) -> Reply | None:
        """The store's reply to `method(name, *args)`, notifying its transition; None when the
        store failed (counted; a traceback at most once a minute)."""
        try:
            reply = method(self.name, *args)
        except Exception:
            metrics.BREAKER_STORE_ERRORS.labels(breaker=self.name).inc()
            now = time.monotonic()
            if now - self._error_logged_at >= ERROR_LOG_INTERVAL:
                self._error_logged_at = now
                logger.exception(
                    "circuit breaker %s: store %s failed; call let through", self.name, operation
                )
            return None
        now = self._clock()
        if reply.state == State.HALF_OPEN:
            self._view = (reply.state, reply.gen, 0.0, 0)  # the store admits every trial
        else:
            open_until = round(now * 1000) + round(reply.retry_after * 1000)
            self._view = (reply.state, reply.gen, now + VIEW_TTL, open_until)
        if reply.transition is not None:
            self._notify(reply.transition)
        return reply

    def _notify(self, t: Transition) -> None:
        log = logger.warning if t.to_state == State.OPEN else logger.info
        figures = " ".join(f"{key}={value}" for key, value in t.counters.items())
        log(
            "circuit breaker %s: %s -> %s (%s)", t.name, t.from_state.slug, t.to_state.slug, figures
        )
        metrics.BREAKER_TRANSITIONS.labels(
            breaker=t.name, from_state=t.from_state.slug, to_state=t.to_state.slug
        ).inc()
        if self._listener is not None:
            try:
                self._listener(t)
            except Exception:
                logger.exception("circuit breaker %s: transition listener failed", t.name)
