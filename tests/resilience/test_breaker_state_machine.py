"""Property-based: random sequences of calls, held calls and clock steps, checked step by step
against the reference model (tests/resilience/reference.py), for the memory, Redis and
database stores.

Both the breaker and the store read one injected clock (the Redis script receives it as an
argument instead of calling TIME), so every instant is exact and nothing depends on timing.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resilience.breakers import Breaker, BreakerOpen, BreakerPolicy
from resilience.breakers.policies import StaticPolicies
from resilience.breakers.stores.base import BreakerStore
from resilience.breakers.stores.database import DatabaseStore
from resilience.breakers.stores.memory import MemoryStore
from resilience.breakers.stores.redis import RedisStore
from resilience.models import BreakerStoreRecord
from tests.services import redis_delete_prefix

from .conftest import FakeClock, unique_prefix
from .held import HeldCall
from .reference import Reference


class ClientError(Exception):
    status_code = 404  # the dependency answered: counts as a success


@st.composite
def policies(draw: st.DrawFn) -> BreakerPolicy:
    window_type = draw(st.sampled_from(["count", "time"]))
    window_size = draw(st.integers(1, 6))
    minimum_calls = draw(st.integers(1, 5))
    if window_type == "count":
        minimum_calls = min(minimum_calls, window_size)
    slow_call_duration = draw(st.sampled_from([0.0, 1.0]))
    slow_rate = draw(st.sampled_from([0.0, 50.0, 100.0])) if slow_call_duration else 0.0
    failure_threshold = draw(st.integers(0, 4))
    failure_rate = draw(st.sampled_from([0.0, 34.0, 50.0, 100.0]))
    if not (failure_threshold or failure_rate or slow_rate):
        failure_threshold = 2
    half_open_max_calls = draw(st.integers(1, 3))
    recovery = draw(st.sampled_from([0.5, 2.0]))
    return BreakerPolicy(
        name="prop",
        failure_threshold=failure_threshold,
        failure_rate_threshold=failure_rate,
        window_type=window_type,
        window_size=window_size,
        minimum_calls=minimum_calls,
        slow_call_duration=slow_call_duration,
        slow_call_rate_threshold=slow_rate,
        recovery_timeout=recovery,
        recovery_backoff=draw(st.sampled_from([1.0, 2.0, 3.0])),
        recovery_timeout_max=recovery * draw(st.sampled_from([1, 4])),
        half_open_max_calls=half_open_max_calls,
        success_threshold=draw(st.integers(1, half_open_max_calls)),
        max_half_open_wait=draw(st.sampled_from([1.0, 3.0])),
    ).validate()


CALL_KINDS = ["ok", "fail", "slow_ok", "slow_fail", "client_error", "cancelled"]
FINISH_KINDS = ["ok", "fail", "client_error", "cancelled"]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("call"), st.sampled_from(CALL_KINDS)),
        st.tuples(st.just("call"), st.sampled_from(["ok", "fail"])),
        st.tuples(st.just("begin")),
        st.tuples(st.just("finish"), st.integers(0, 3), st.sampled_from(FINISH_KINDS)),
        st.tuples(st.just("tick"), st.sampled_from([1, 250, 499, 500, 999, 1000, 2000, 9000])),
    ),
    min_size=20,
    max_size=80,
)


def _error(kind: str) -> BaseException | None:
    if kind in ("fail", "slow_fail"):
        return TimeoutError("dependency timed out")
    if kind == "client_error":
        return ClientError("not found")
    if kind == "cancelled":
        return asyncio.CancelledError()
    return None


def _raise(kind: str) -> None:
    error = _error(kind)
    if error is not None:
        raise error


def rejection(fn: Callable[[], object]) -> BreakerOpen | None:
    """The BreakerOpen `fn` raised, if any (the dependency's own errors are expected)."""
    try:
        fn()
    except BreakerOpen as exc:
        return exc
    except (TimeoutError, ClientError, asyncio.CancelledError):
        return None
    return None


def _outcome(kind: str) -> str:
    if kind in ("fail", "slow_fail"):
        return "failure"
    return "ignored" if kind == "cancelled" else "success"


@dataclass
class Held:
    call: HeldCall
    started_ms: int
    gen: int
    lease: str


def run_against_reference(
    store: BreakerStore, clock: FakeClock, policy: BreakerPolicy, plan: list[Any]
) -> None:
    breaker = Breaker("prop", store=store, policies=StaticPolicies(policy), clock=clock)
    ref = Reference(policy)
    held: list[Held] = []
    try:
        _run_plan(store, clock, policy, plan, breaker, ref, held)
    finally:
        for call in held:
            call.call.finish()  # end the calls still in flight with the plan


def _run_plan(
    store: BreakerStore,
    clock: FakeClock,
    policy: BreakerPolicy,
    plan: list[Any],
    breaker: Breaker,
    ref: Reference,
    held: list[Held],
) -> None:
    slow_ms = round(max(policy.slow_call_duration, 0.5) * 1000)

    for step in plan:
        if step[0] == "tick":
            clock.ms += step[1]
        elif step[0] == "call":
            kind = step[1]
            reached = False
            admitted, lease, retry_ms = ref.acquire(clock.ms)
            gen = ref.gen

            def dependency(kind: str = kind) -> None:
                nonlocal reached
                reached = True
                if kind.startswith("slow"):
                    clock.ms += slow_ms
                _raise(kind)

            rejected = rejection(lambda: breaker.call(dependency))
            assert reached == admitted, f"{step}: reached={reached} reference={admitted}"
            assert (rejected is not None) == (not admitted)
            if rejected is not None:
                assert rejected.retry_after == retry_ms / 1000
            if admitted:
                slow = kind.startswith("slow") and 0 < policy.slow_call_duration <= slow_ms / 1000
                ref.record(clock.ms, gen, lease, _outcome(kind), slow)
        elif step[0] == "begin":
            admitted, lease, retry_ms = ref.acquire(clock.ms)
            context = HeldCall(breaker)
            rejected = context.rejected
            assert (rejected is None) == admitted, f"{step}: admitted={rejected is None}"
            if rejected is not None:
                assert rejected.retry_after == retry_ms / 1000
            else:
                held.append(Held(context, clock.ms, ref.gen, lease))
        elif step[0] == "finish" and held:
            call = held.pop(step[1] % len(held))
            kind = step[2]
            elapsed = (clock.ms - call.started_ms) / 1000
            slow = 0 < policy.slow_call_duration <= elapsed
            call.call.finish(_error(kind))
            ref.record(clock.ms, call.gen, call.lease, _outcome(kind), slow)

        snapshot = store.snapshot("prop", policy)
        calls, failures, slow_calls = ref.counters(clock.ms)
        actual = (
            snapshot.state.slug,
            snapshot.calls,
            snapshot.failures,
            snapshot.slow,
            snapshot.consecutive_failures,
            snapshot.trips,
        )
        state = ref.state_now(clock.ms)
        expected = (state, calls, failures, slow_calls, ref.consecutive, ref.trips)
        assert actual == expected, f"after {step}"


def examples(count: int) -> Callable[[Any], Any]:
    """Hypothesis settings for a store test: `count` plans, no deadline (stores do I/O), no
    example database; fixtures are per test, which is fine here (the plans share nothing)."""
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


@examples(150)
@given(policy=policies(), plan=steps)
def test_memory_store__matches_reference_model(policy: BreakerPolicy, plan: list[Any]) -> None:
    clock = FakeClock()
    run_against_reference(MemoryStore(clock=clock), clock, policy, plan)


@examples(100)
@given(policy=policies(), plan=steps)
def test_redis_store__matches_reference_model(
    redis_url: str, policy: BreakerPolicy, plan: list[Any]
) -> None:
    clock = FakeClock()
    store = RedisStore(redis_url, prefix=unique_prefix(), clock=clock)
    try:
        run_against_reference(store, clock, policy, plan)
    finally:
        redis_delete_prefix(redis_url, store.prefix)


@pytest.mark.django_db(transaction=True)
@examples(40)
@given(policy=policies(), plan=steps)
def test_database_store__matches_reference_model(policy: BreakerPolicy, plan: list[Any]) -> None:
    # Every operation round-trips the machine through its database row (plain SQL).
    clock = FakeClock()
    try:
        run_against_reference(DatabaseStore(clock=clock), clock, policy, plan)
    finally:
        BreakerStoreRecord.objects.filter(name="prop").delete()


def test_half_open__crashed_trial_releases_its_slot_after_max_wait(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    policy = BreakerPolicy(
        name="prop",
        failure_threshold=1,
        recovery_timeout=1.0,
        half_open_max_calls=1,
        success_threshold=1,
        max_half_open_wait=5.0,
    )
    store = make_store()
    breaker = Breaker("prop", store=store, policies=StaticPolicies(policy), clock=clock)
    with pytest.raises(TimeoutError):
        breaker.call(_raise, "fail")
    clock.advance(1.0)
    trial = HeldCall(breaker)  # the trial starts and is never heard of again
    assert trial.rejected is None

    clock.advance(4.999)
    with pytest.raises(BreakerOpen) as rejected:
        breaker.call(lambda: None)
    assert rejected.value.retry_after == pytest.approx(0.001)

    clock.advance(0.001)
    assert breaker.call(lambda: "second trial") == "second trial"
    assert store.snapshot("prop", policy).state.slug == "closed"
