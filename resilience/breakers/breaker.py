"""The breaker: admits or rejects calls, measures them, and reports outcomes to its store.

Every store reply carries the state after the operation; the breaker keeps it as a local view
for at most VIEW_TTL seconds:

* view CLOSED: the call runs without asking the store; its outcome is recorded afterwards
  (one store operation), and that reply refreshes the view.
* view OPEN and not yet due for a trial: rejected locally (no store operation; the store is
  asked again once the view is VIEW_TTL old, which is how a reset elsewhere is noticed).
* otherwise (HALF_OPEN, a trial is due, the view is stale): the store decides (`acquire`).

The price: after another process trips the breaker, this process may let through the calls it
starts before its next reply (at most its own concurrency, within VIEW_TTL). Their outcomes are
dropped by the generation check, and half-open trials are still admitted by the store alone, so
the half-open limit holds across processes for every call that reaches the store.

Store errors never break the guarded call: the breaker logs them and lets the call through.
Transitions are logged here, counted in metrics, then handed to the listener (events, alerts).
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from resilience import metrics
from resilience.breakers.classify import classify_exception
from resilience.breakers.config import BreakerPolicy, Mode
from resilience.breakers.errors import BreakerOpen
from resilience.breakers.machine import METRICS_ONLY_GEN
from resilience.breakers.policies import PolicySource
from resilience.breakers.state import Outcome, Reply, Snapshot, State, Transition
from resilience.breakers.stores.base import BreakerStore

logger = logging.getLogger(__name__)

T = TypeVar("T")
VIEW_TTL = 1.0  # seconds a reply's state is trusted without asking the store again
ERROR_LOG_INTERVAL = 60.0  # seconds between tracebacks for a store that keeps failing

Permit = tuple[int, str]  # (generation the call was admitted in, half-open lease or "")
PASSTHROUGH: Permit = (0, "")  # generations start at 1: 0 marks "not recorded"
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
        # (state, gen, trusted until [s], open until [ms]) on this breaker's clock, replaced as
        # a whole so a concurrent reader never sees half an update.
        self._view: tuple[State, int, float, int] = (State.CLOSED, 0, 0.0, 0)
        self._error_logged_at = -ERROR_LOG_INTERVAL

    def __repr__(self) -> str:
        return f"<Breaker {self.name!r} via {type(self.store).__name__}>"

    @property
    def policy(self) -> BreakerPolicy:
        return self._policies.get(self.name)

    def snapshot(self) -> Snapshot:
        return self.store.snapshot(self.name, self.policy)

    def hold(self, seconds: float | None = None) -> None:
        """Reject every call in every process for `seconds` (None: the recovery timeout), at
        most recovery_timeout_max: the dependency said when to come back (Retry-After)."""
        policy = self.policy
        wait = min(
            policy.recovery_timeout if seconds is None else seconds, policy.recovery_timeout_max
        )
        if not policy.routine or wait <= 0:
            return  # an operator's override decides, or there is nothing to wait for
        try:
            reply = self.store.hold(self.name, policy, wait)
        except Exception:
            if self._store_failed("hold"):
                logger.exception("circuit breaker %s: store hold failed", self.name)
            return
        metrics.BREAKER_HOLDS.labels(breaker=self.name).observe(wait)
        self._observe(reply, self._clock())

    def forget_view(self) -> None:
        """Ask the store on the next call (after an operator changed the shared state)."""
        self._view = (State.CLOSED, 0, 0.0, 0)

    def call(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run `fn(*args, **kwargs)` through the breaker; raises BreakerOpen without running
        it when the breaker rejects the call."""
        policy = self.policy
        permit = self._enter(policy)
        if permit is PASSTHROUGH:
            return fn(*args, **kwargs)
        started = self._clock()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            self._exit(policy, permit, classify_exception(exc), started)
            raise
        self._exit(policy, permit, Outcome.SUCCESS, started)
        return result

    # --- admission --------------------------------------------------------------------------

    def _enter(self, policy: BreakerPolicy) -> Permit:
        if not policy.routine:
            return self._override(policy)
        now = self._clock()
        state, gen, trusted_until, open_until = self._view
        if now < trusted_until:
            if state == State.CLOSED:
                return (gen, "")
            if state == State.OPEN and round(now * 1000) < open_until:
                self._reject((open_until - round(now * 1000)) / 1000)
        try:
            reply = self.store.acquire(self.name, policy)
        except Exception:
            if self._store_failed("acquire"):
                logger.exception(
                    "circuit breaker %s: store acquire failed; call let through", self.name
                )
            return PASSTHROUGH
        self._observe(reply, now)
        if not reply.admitted:
            self._reject(reply.retry_after)
        return (reply.gen, reply.lease)

    def _override(self, policy: BreakerPolicy) -> Permit:
        if not policy.enabled or policy.mode == Mode.FORCED_CLOSED:
            return PASSTHROUGH
        if policy.mode == Mode.FORCED_OPEN:
            self._reject(policy.recovery_timeout, forced=True)
        return (METRICS_ONLY_GEN, "")  # metrics only: admitted, counted, never rejected

    def _reject(self, retry_after: float, *, forced: bool = False) -> None:
        metrics.BREAKER_REJECTIONS.labels(breaker=self.name).inc()
        raise BreakerOpen(self.name, retry_after, forced=forced)

    # --- outcome ----------------------------------------------------------------------------

    def _exit(
        self, policy: BreakerPolicy, permit: Permit, outcome: Outcome, started: float
    ) -> None:
        ended = self._clock()
        slow = 0 < policy.slow_call_duration <= ended - started
        if outcome == Outcome.SUCCESS and 0 < policy.call_timeout < ended - started:
            # A sync call cannot be interrupted safely; one that overran still counts as a
            # failure (its result is returned all the same).
            outcome = Outcome.FAILURE
        gen, lease = permit
        if outcome == Outcome.IGNORED and not lease:
            return  # nothing to count and no trial slot to hand back
        try:
            reply = self.store.record(self.name, policy, gen, lease, outcome, slow)
        except Exception:
            if self._store_failed("record"):
                logger.exception(
                    "circuit breaker %s: store record failed; call let through", self.name
                )
            return
        self._observe(reply, ended)

    # --- view, notifications ---------------------------------------------------------------

    def _observe(self, reply: Reply, now: float) -> None:
        if reply.state == State.CLOSED:
            self._view = (State.CLOSED, reply.gen, now + VIEW_TTL, 0)
        elif reply.state == State.OPEN:
            open_until = round(now * 1000) + round(reply.retry_after * 1000)
            self._view = (State.OPEN, reply.gen, now + VIEW_TTL, open_until)
        else:
            self._view = (reply.state, reply.gen, 0.0, 0)  # half-open: the store admits trials
        if reply.transition is not None:
            self._notify(reply.transition)

    def _notify(self, t: Transition) -> None:
        log = logger.warning if t.to_state == State.OPEN else logger.info
        log(
            "circuit breaker %s: %s -> %s (%s; calls=%s failures=%s slow=%s consecutive=%s "
            "trips=%s open_for=%.1fs%s)",
            t.name,
            t.from_state.slug,
            t.to_state.slug,
            t.reason.slug,
            t.calls,
            t.failures,
            t.slow,
            t.consecutive_failures,
            t.trips,
            t.open_for,
            ", process-local" if t.local else "",
        )
        metrics.BREAKER_TRANSITIONS.labels(
            breaker=t.name, from_state=t.from_state.slug, to_state=t.to_state.slug
        ).inc()
        if self._listener is not None:
            try:
                self._listener(t)
            except Exception:
                logger.exception("circuit breaker %s: transition listener failed", t.name)

    def _store_failed(self, operation: str) -> bool:
        """Count a store error; True when it should be logged with its traceback (at most once
        a minute, so a store that keeps failing does not flood the logs)."""
        metrics.BREAKER_STORE_ERRORS.labels(breaker=self.name).inc()
        now = time.monotonic()
        if now - self._error_logged_at >= ERROR_LOG_INTERVAL:
            self._error_logged_at = now
            return True
        logger.debug("circuit breaker %s: store %s failed again", self.name, operation)
        return False
