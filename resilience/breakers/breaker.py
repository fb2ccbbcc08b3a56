"""The breaker: admits or rejects calls, measures them, and reports outcomes to its store.

Hot path. Every store reply carries the state after the operation; the breaker keeps it as a
local view for at most VIEW_TTL seconds:

* view CLOSED: the call runs without asking the store; its outcome is recorded afterwards
  (one store operation, one Redis round trip), and that reply refreshes the view.
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

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TypeVar

from asgiref.sync import sync_to_async

from resilience import metrics
from resilience.breakers.classify import DEFAULT_CLASSIFIER, Classifier, Guard
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

# Enum members as module constants: attribute lookups on enum classes are slow on the hot path.
CLOSED, OPEN = State.CLOSED, State.OPEN
SUCCESS, FAILURE, IGNORED = Outcome.SUCCESS, Outcome.FAILURE, Outcome.IGNORED

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
        classifier: Classifier = DEFAULT_CLASSIFIER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.store = store
        self._record = store.bind(name)  # record() for this breaker, used on every call
        self.classifier = classifier
        self._policies = policies
        self._slot = policies.slot(name)
        self._listener = listener
        self._clock = clock
        # (state, gen, trusted until [s], open until [ms]) on this breaker's clock, replaced as
        # a whole so a concurrent reader never sees half an update. Open-until is in integer
        # milliseconds like the stores' times, so a trial falls due exactly when the store
        # would admit it.
        self._view: tuple[State, int, float, int] = (CLOSED, 0, 0.0, 0)
        self._rejections = metrics.BREAKER_REJECTIONS.labels(breaker=name)
        self._error_logged_at = -ERROR_LOG_INTERVAL

    def __repr__(self) -> str:
        return f"<Breaker {self.name!r} via {type(self.store).__name__}>"

    @property
    def policy(self) -> BreakerPolicy:
        slot = self._slot
        return slot.policy if self._clock() < slot.valid_until else self._policies.get(self.name)

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
        self._recorded(reply, self._clock())

    def forget_view(self) -> None:
        """Ask the store on the next call (after an operator changed the shared state)."""
        self._view = (CLOSED, 0, 0.0, 0)

    # --- public API -------------------------------------------------------------------------

    def call(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run `fn(*args, **kwargs)` through the breaker (with its default classifier)."""
        started = self._clock()
        slot = self._slot
        policy = slot.policy if started < slot.valid_until else self._policies.get(self.name)
        state, gen, trusted_until, _ = self._view
        if state == CLOSED and started < trusted_until and policy.routine:
            lease = ""  # the hot path: no store operation before the call
        else:
            permit = self._enter(policy, started)
            if permit is PASSTHROUGH:
                return fn(*args, **kwargs)
            gen, lease = permit
            started = self._clock()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            self._exit(policy, (gen, lease), self.classifier.exception(exc), started)
            raise
        classifier = self.classifier
        if lease or classifier.failure_result is not None or policy.call_timeout:
            self._exit(policy, (gen, lease), classifier.result(result), started)
            return result
        # _exit for a plain success, inlined: this runs for every call.
        ended = self._clock()
        slow = 0 < policy.slow_call_duration <= ended - started
        try:
            reply = self._record(policy, gen, "", SUCCESS, slow)
        except Exception:
            if self._store_failed("record"):
                logger.exception(
                    "circuit breaker %s: store record failed; call let through", self.name
                )
            return result
        if reply.transition is None and reply.state == CLOSED:
            # Unchanged, and trusted for a while yet: keep the view rather than rebuild it.
            if reply.gen != gen or ended > trusted_until - VIEW_TTL / 2:
                self._view = (CLOSED, reply.gen, ended + VIEW_TTL, 0)
        else:
            self._recorded(reply, ended)
        return result

    def call_with(
        self, classifier: Classifier, fn: Callable[..., T], /, *args: object, **kwargs: object
    ) -> T:
        """`call` with another classifier (e.g. one that treats some results as failures)."""
        with self.guard_sync(classifier) as guard:
            result = fn(*args, **kwargs)
            guard.result(result)
        return result

    async def acall(self, fn: Callable[..., Awaitable[T]], /, *args: object, **kwargs: object) -> T:
        """Await `fn(*args, **kwargs)` through the breaker; cancelled after `call_timeout`."""
        return await self.acall_with(self.classifier, fn, *args, **kwargs)

    async def acall_with(
        self,
        classifier: Classifier,
        fn: Callable[..., Awaitable[T]],
        /,
        *args: object,
        **kwargs: object,
    ) -> T:
        async with self.guard(classifier) as guard:
            result = await fn(*args, **kwargs)
            guard.result(result)
        return result

    @contextmanager
    def guard_sync(self, classifier: Classifier | None = None) -> Iterator[Guard]:
        """`with breaker.guard_sync() as g:`; raises BreakerOpen before the body runs."""
        classifier = classifier or self.classifier
        policy = self.policy
        permit = self._enter(policy, self._clock())
        guard = Guard(classifier)
        if permit is PASSTHROUGH:
            yield guard
            return
        started = self._clock()
        try:
            yield guard
        except BaseException as exc:
            self._exit(policy, permit, classifier.exception(exc), started)
            raise
        self._exit(policy, permit, guard.outcome, started)

    @asynccontextmanager
    async def guard(self, classifier: Classifier | None = None) -> AsyncIterator[Guard]:
        """`async with breaker.guard() as g:`; the body is cancelled after `call_timeout`."""
        classifier = classifier or self.classifier
        policy = await self._apolicy()
        permit = await self._aenter(policy, self._clock())
        guard = Guard(classifier)
        if permit is PASSTHROUGH:
            yield guard
            return
        started = self._clock()
        try:
            if policy.call_timeout > 0:
                async with asyncio.timeout(policy.call_timeout):
                    yield guard
            else:
                yield guard
        except BaseException as exc:
            await self._aexit(policy, permit, classifier.exception(exc), started)
            raise
        await self._aexit(policy, permit, guard.outcome, started)

    # --- admission --------------------------------------------------------------------------

    def _local(self, policy: BreakerPolicy, now: float) -> Permit | None:
        """A decision without the store, or None when the store must decide."""
        if not policy.routine:
            return self._override(policy)
        state, gen, trusted_until, open_until = self._view
        if now < trusted_until:
            if state == CLOSED:
                return (gen, "")
            if state == OPEN:
                now_ms = round(now * 1000)
                if now_ms < open_until:
                    self._reject((open_until - now_ms) / 1000)
        return None

    def _override(self, policy: BreakerPolicy) -> Permit:
        if not policy.enabled or policy.mode == Mode.FORCED_CLOSED:
            return PASSTHROUGH
        if policy.mode == Mode.FORCED_OPEN:
            self._rejections.inc()
            raise BreakerOpen(self.name, policy.recovery_timeout, forced=True)
        return (METRICS_ONLY_GEN, "")  # metrics only: admitted, counted, never rejected

    def _enter(self, policy: BreakerPolicy, now: float) -> Permit:
        permit = self._local(policy, now)
        if permit is not None:
            return permit
        try:
            reply = self.store.acquire(self.name, policy)
        except Exception:
            if self._store_failed("acquire"):
                logger.exception(
                    "circuit breaker %s: store acquire failed; call let through", self.name
                )
            return PASSTHROUGH
        return self._admit(reply, now)

    async def _aenter(self, policy: BreakerPolicy, now: float) -> Permit:
        permit = self._local(policy, now)
        if permit is not None:
            return permit
        try:
            reply = await self.store.aacquire(self.name, policy)
        except Exception:
            if self._store_failed("acquire"):
                logger.exception(
                    "circuit breaker %s: store acquire failed; call let through", self.name
                )
            return PASSTHROUGH
        return self._admit(reply, now)

    def _admit(self, reply: Reply, now: float) -> Permit:
        self._observe(reply, now)
        if reply.transition is not None:
            self._notify(reply.transition)
        if not reply.admitted:
            self._reject(reply.retry_after)
        return (reply.gen, reply.lease)

    def _reject(self, retry_after: float) -> None:
        self._rejections.inc()
        raise BreakerOpen(self.name, retry_after)

    # --- outcome ----------------------------------------------------------------------------

    def _verdict(
        self, policy: BreakerPolicy, outcome: Outcome, elapsed: float
    ) -> tuple[Outcome, bool]:
        slow = 0 < policy.slow_call_duration <= elapsed
        if outcome == SUCCESS and 0 < policy.call_timeout < elapsed:
            # A sync call cannot be interrupted safely; one that overran still counts as a
            # failure (its result is returned all the same).
            outcome = FAILURE
        return outcome, slow

    def _exit(
        self, policy: BreakerPolicy, permit: Permit, outcome: Outcome, started: float
    ) -> None:
        ended = self._clock()
        outcome, slow = self._verdict(policy, outcome, ended - started)
        gen, lease = permit
        if outcome == IGNORED and not lease:
            return  # nothing to count and no trial slot to hand back
        try:
            reply = self.store.record(self.name, policy, gen, lease, outcome, slow)
        except Exception:
            if self._store_failed("record"):
                logger.exception(
                    "circuit breaker %s: store record failed; call let through", self.name
                )
            return
        self._recorded(reply, ended)

    async def _aexit(
        self, policy: BreakerPolicy, permit: Permit, outcome: Outcome, started: float
    ) -> None:
        ended = self._clock()
        outcome, slow = self._verdict(policy, outcome, ended - started)
        gen, lease = permit
        if outcome == IGNORED and not lease:
            return
        try:
            reply = await self.store.arecord(self.name, policy, gen, lease, outcome, slow)
        except Exception:
            if self._store_failed("record"):
                logger.exception(
                    "circuit breaker %s: store record failed; call let through", self.name
                )
            return
        self._recorded(reply, ended)

    def _recorded(self, reply: Reply, now: float) -> None:
        self._observe(reply, now)
        if reply.transition is not None:
            self._notify(reply.transition)

    # --- view, notifications, policy -------------------------------------------------------

    def _observe(self, reply: Reply, now: float) -> None:
        state = reply.state
        if state == CLOSED:
            self._view = (state, reply.gen, now + VIEW_TTL, 0)
        elif state == OPEN:
            open_until = round(now * 1000) + round(reply.retry_after * 1000)
            self._view = (state, reply.gen, now + VIEW_TTL, open_until)
        else:
            self._view = (state, reply.gen, 0.0, 0)  # half-open: the store admits every trial

    def _notify(self, t: Transition) -> None:
        log = logger.warning if t.to_state == OPEN else logger.info
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

    async def _apolicy(self) -> BreakerPolicy:
        slot = self._slot
        if self._clock() < slot.valid_until:
            return slot.policy
        # Reloading reads the database: off the event loop.
        return await sync_to_async(self._policies.get)(self.name)
