"""The public API: get_breaker, @protect, guard()/guard_sync(), call()/acall()."""

import asyncio
import logging

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import override_settings

from resilience.breakers import (
    Breaker,
    BreakerOpen,
    BreakerPolicy,
    Classifier,
    Transition,
    get_breaker,
    protect,
    registry,
)
from resilience.breakers.policies import StaticPolicies
from resilience.breakers.state import Outcome, Reply, Snapshot, State
from resilience.breakers.stores.base import BreakerStore
from resilience.breakers.stores.memory import MemoryStore
from resilience.breakers.stores.redis import RedisStore
from resilience.models import BreakerConfig

from .conftest import FakeClock

MEMORY_STORE = "resilience.breakers.stores.memory.MemoryStore"


class Overloaded(Exception):
    status_code = 503


class NotFound(Exception):
    status_code = 404


def breaker_with(p: BreakerPolicy, clock: FakeClock | None = None) -> Breaker:
    if clock is None:
        return Breaker(p.name, store=MemoryStore(), policies=StaticPolicies(p))
    return Breaker(p.name, store=MemoryStore(clock=clock), policies=StaticPolicies(p), clock=clock)


def open_after_one(name: str) -> None:
    assert get_breaker(name).policy  # first use creates the config row
    BreakerConfig.objects.filter(name=name).update(failure_threshold=1)
    registry.expire_policies()


@pytest.mark.django_db
@override_settings(
    BREAKER_STORE=MEMORY_STORE,
    BREAKER_DEFAULTS={"failure_threshold": 4, "recovery_timeout": 5.0},
    BREAKERS={"llm.openai": {"critical": True, "failure_threshold": 6}},
)
def test_get_breaker__one_per_name_config_created_from_settings_defaults(
    fresh_registry: None,
) -> None:
    breaker = get_breaker("llm.openai")
    assert get_breaker("llm.openai") is breaker
    assert breaker.policy.failure_threshold == 6
    config = BreakerConfig.objects.get(name="llm.openai")
    assert (config.failure_threshold, config.recovery_timeout, config.critical) == (6, 5.0, True)
    other = get_breaker("llm.anthropic")
    assert other.policy.failure_threshold == 4


@pytest.mark.parametrize("name", ["", "LLM.OpenAI", "llm openai", "../keys", "x" * 101])
def test_get_breaker__rejects_names_unfit_for_keys_and_labels(name: str) -> None:
    with pytest.raises(ValueError, match="invalid breaker name"):
        get_breaker(name)


@pytest.mark.django_db
@override_settings(BREAKER_STORE=MEMORY_STORE)
def test_protect__sync_function_falls_back_while_open(fresh_registry: None) -> None:
    calls: list[str] = []

    @protect("api.sync", fallback=lambda exc, prompt: f"offline answer to {prompt}")
    def ask(prompt: str) -> str:
        calls.append(prompt)
        raise Overloaded("upstream is down")

    open_after_one("api.sync")
    assert ask("q1") == "offline answer to q1"  # the failure itself falls back
    assert ask("q2") == "offline answer to q2"  # rejected by the open breaker
    assert calls == ["q1"]


@pytest.mark.django_db
@override_settings(BREAKER_STORE=MEMORY_STORE)
def test_protect__client_error_is_raised_not_replaced_by_fallback(fresh_registry: None) -> None:
    @protect("api.client", fallback=lambda exc, *args: "fallback")
    def lookup() -> str:
        raise NotFound("no such model")

    with pytest.raises(NotFound):
        lookup()


@pytest.mark.django_db(transaction=True)
@override_settings(BREAKER_STORE=MEMORY_STORE)
async def test_protect__async_function_with_async_fallback(fresh_registry: None) -> None:
    async def offline(exc: BaseException, prompt: str) -> str:
        await asyncio.sleep(0)
        return f"offline:{prompt}:{type(exc).__name__}"

    @protect("api.async", fallback=offline)
    async def ask(prompt: str) -> str:
        await asyncio.sleep(0)
        raise TimeoutError

    try:
        assert await ask("q") == "offline:q:TimeoutError"
    finally:
        # The policy was loaded in asgiref's worker thread: close that thread's connection.
        await sync_to_async(connections.close_all)()


async def test_guard__async_call_timeout_cancels_the_call_and_counts_a_failure() -> None:
    breaker = breaker_with(BreakerPolicy(name="slow.dep", failure_threshold=1, call_timeout=0.05))
    finished: list[bool] = []

    async def slow_body() -> None:
        async with breaker.guard():
            await asyncio.sleep(30)
            finished.append(True)

    async def empty_body() -> None:
        async with breaker.guard():
            pass

    with pytest.raises(TimeoutError):
        await slow_body()
    assert finished == []
    with pytest.raises(BreakerOpen):
        await empty_body()


async def test_acall__awaits_through_the_breaker_and_classifies_results() -> None:
    breaker = breaker_with(BreakerPolicy(name="async.dep", failure_threshold=2))

    async def answer(x: int) -> int:
        return x * 2

    assert await breaker.acall(answer, 21) == 42
    overloaded = Classifier(failure_result=lambda value: value == "overloaded")

    async def busy() -> str:
        return "overloaded"

    for _ in range(2):
        assert await breaker.acall_with(overloaded, busy) == "overloaded"
    with pytest.raises(BreakerOpen):
        await breaker.acall(answer, 1)


def test_guard_sync__body_can_mark_a_result_as_failure(clock: FakeClock) -> None:
    breaker = breaker_with(BreakerPolicy(name="sync.dep", failure_threshold=2), clock)
    for _ in range(2):
        with breaker.guard_sync() as guard:
            guard.failure()
    with pytest.raises(BreakerOpen) as rejected, breaker.guard_sync():
        pass
    assert rejected.value.retry_after == 10.0


def test_call__sync_overrun_of_call_timeout_counts_as_failure_but_returns(
    clock: FakeClock,
) -> None:
    policy = BreakerPolicy(name="sync.slow", failure_threshold=1, call_timeout=2.0)
    breaker = breaker_with(policy, clock)

    def slow() -> str:
        clock.advance(2.5)
        return "late answer"

    assert breaker.call(slow) == "late answer"
    assert breaker.snapshot().state == State.OPEN


class BrokenStore(BreakerStore):
    """A store whose every operation raises: the breaker must let calls through."""

    def acquire(self, name: str, policy: BreakerPolicy) -> Reply:
        raise RuntimeError("store is broken")

    def record(
        self, name: str, policy: BreakerPolicy, gen: int, lease: str, outcome: Outcome, slow: bool
    ) -> Reply:
        raise RuntimeError("store is broken")

    def hold(self, name: str, policy: BreakerPolicy, seconds: float) -> Reply:
        raise RuntimeError("store is broken")

    def snapshot(self, name: str, policy: BreakerPolicy) -> Snapshot:
        raise RuntimeError("store is broken")

    def reset(self, name: str, policy: BreakerPolicy) -> Transition:
        raise RuntimeError("store is broken")


def test_store_errors__fail_open_and_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    breaker = Breaker(
        "broken", store=BrokenStore(), policies=StaticPolicies(BreakerPolicy(name="broken"))
    )
    with caplog.at_level(logging.ERROR, logger="resilience.breakers.breaker"):
        assert [breaker.call(lambda i=i: i) for i in range(3)] == [0, 1, 2]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # a traceback once, not once per call
    assert "store acquire failed" in errors[0].getMessage()


def test_listener_errors__never_reach_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    def listener(transition: Transition) -> None:
        raise RuntimeError("event log unavailable")

    policy = BreakerPolicy(name="noisy", failure_threshold=1)
    breaker = Breaker(
        "noisy", store=MemoryStore(), policies=StaticPolicies(policy), listener=listener
    )
    with caplog.at_level(logging.ERROR), pytest.raises(TimeoutError):
        breaker.call(lambda: (_ for _ in ()).throw(TimeoutError()))
    assert "transition listener failed" in caplog.text
    with pytest.raises(BreakerOpen):
        breaker.call(lambda: None)


async def test_guard__async_callers_on_the_redis_store_share_state_with_sync_callers(
    redis_url: str, redis_prefix: str
) -> None:
    policy = BreakerPolicy(
        name="async.redis", failure_threshold=2, half_open_max_calls=1, success_threshold=1
    )
    store = RedisStore(redis_url, prefix=redis_prefix)
    async_side = Breaker("async.redis", store=store, policies=StaticPolicies(policy))
    sync_side = Breaker(
        "async.redis",
        store=RedisStore(redis_url, prefix=redis_prefix),
        policies=StaticPolicies(policy),
    )

    async def failing_call() -> None:
        async with async_side.guard():
            raise Overloaded("503 from upstream")

    try:
        for _ in range(2):
            with pytest.raises(Overloaded):
                await failing_call()
    finally:
        await store.aclose()
    with pytest.raises(BreakerOpen):  # another process's view: the shared state is open
        await sync_to_async(sync_side.call)(lambda: None)
    assert (await sync_to_async(store.snapshot)("async.redis", policy)).failures == 2
