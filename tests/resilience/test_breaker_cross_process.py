"""Many processes, one real Redis: the half-open limit holds across all of them."""

import multiprocessing
import time
import uuid
from typing import cast

import pytest
import redis

from resilience.breakers import BreakerOpen, State

from .procs import hammer, redis_breaker, take_trial_and_crash

PROCESSES = 20
HALF_OPEN_MAX_CALLS = 3


def context() -> multiprocessing.context.ForkServerContext:
    """Fresh processes, cheaply: a fork server imports the child code once, then forks per child
    (plain fork would copy this process's threads' locks; spawn re-imports Django every time)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.resilience.procs"])
    return ctx


def fail() -> None:
    raise TimeoutError("down")


@pytest.mark.timeout(120)
def test_half_open__admits_exactly_n_trials_across_20_processes(
    redis_url: str, redis_prefix: str
) -> None:
    policy = {
        "name": "cross.process",
        "failure_threshold": 1,
        "recovery_timeout": 1.0,
        "half_open_max_calls": HALF_OPEN_MAX_CALLS,
        "success_threshold": HALF_OPEN_MAX_CALLS,
        "max_half_open_wait": 60.0,  # no slot is released during the run
    }
    counter_key = f"{redis_prefix}:reached"
    ctx = context()
    ready = ctx.Barrier(PROCESSES + 1)
    go = ctx.Event()
    stop_at = ctx.Value("d", 0.0)
    results = ctx.Queue()
    children = [
        ctx.Process(
            target=hammer,
            args=(redis_url, redis_prefix, policy, counter_key, ready, go, stop_at, results),
        )
        for _ in range(PROCESSES)
    ]
    for child in children:
        child.start()
    try:
        ready.wait(timeout=90)
        breaker = redis_breaker(redis_url, redis_prefix, policy)
        with pytest.raises(TimeoutError):
            breaker.call(fail)  # open, with 1 s to go before the first trial
        assert breaker.snapshot().state == State.OPEN
        stop_at.value = time.time() + 3.0  # hammer through the whole open period and beyond
        go.set()
        outcomes = [results.get(timeout=60) for _ in children]
    finally:
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.kill()
    reached = sum(r for r, _ in outcomes)
    rejected = sum(r for _, r in outcomes)
    assert reached == HALF_OPEN_MAX_CALLS
    counted = cast(bytes | None, redis.Redis.from_url(redis_url).get(counter_key))
    assert int(counted or 0) == HALF_OPEN_MAX_CALLS
    assert rejected > PROCESSES  # everyone else really was hammering, and was turned away


@pytest.mark.timeout(60)
def test_half_open__trial_that_never_reports_releases_its_lease_after_expiry(
    redis_url: str, redis_prefix: str
) -> None:
    policy = {
        "name": f"crashed.trial.{uuid.uuid4().hex[:6]}",
        "failure_threshold": 1,
        "recovery_timeout": 0.2,
        "half_open_max_calls": 1,
        "success_threshold": 1,
        "max_half_open_wait": 3.0,
    }
    breaker = redis_breaker(redis_url, redis_prefix, policy)
    with pytest.raises(TimeoutError):
        breaker.call(fail)
    time.sleep(0.3)  # past the open period: the next acquire is a trial
    ctx = context()
    crasher = ctx.Process(target=take_trial_and_crash, args=(redis_url, redis_prefix, policy))
    crasher.start()
    crasher.join(timeout=30)
    assert crasher.exitcode == 0
    assert breaker.snapshot().active_trials == 1  # held by a process that no longer exists

    with pytest.raises(BreakerOpen) as rejected:
        breaker.call(lambda: None)
    assert 0 < rejected.value.retry_after <= 3.0

    deadline = time.monotonic() + 20
    while True:  # poll: how soon depends on the lease, not on this machine's speed
        try:
            assert breaker.call(lambda: "trial after expiry") == "trial after expiry"
            break
        except BreakerOpen:
            assert time.monotonic() < deadline, "the crashed trial's lease never expired"
            time.sleep(0.1)
    assert breaker.snapshot().state == State.CLOSED
