"""The breaker's rules, scenario by scenario, identical for the memory and Redis stores."""

from collections.abc import Callable

import httpx
import pytest

from resilience.breakers import Breaker, BreakerOpen, BreakerPolicy, State, Transition
from resilience.breakers.machine import Machine
from resilience.breakers.policies import StaticPolicies
from resilience.breakers.state import Reason
from resilience.breakers.stores.base import BreakerStore

from .conftest import FakeClock
from .held import HeldCall

NAME = "rules"


def policy(**values: object) -> BreakerPolicy:
    base: dict[str, object] = {
        "failure_threshold": 3,
        "failure_rate_threshold": 0.0,
        "slow_call_rate_threshold": 0.0,
        "recovery_timeout": 10.0,
        "recovery_timeout_max": 300.0,
        "half_open_max_calls": 2,
        "success_threshold": 2,
    }
    base.update(values)
    return BreakerPolicy(name=NAME, **base).validate()  # type: ignore[arg-type]


def make_breaker(
    store: BreakerStore, clock: FakeClock, p: BreakerPolicy
) -> tuple[Breaker, list[Transition], StaticPolicies]:
    transitions: list[Transition] = []
    policies = StaticPolicies(p)
    breaker = Breaker(
        NAME, store=store, policies=policies, listener=transitions.append, clock=clock
    )
    return breaker, transitions, policies


def fail() -> None:
    raise TimeoutError("upstream timed out")


def status_error(code: int) -> Callable[[], None]:
    def call() -> None:
        request = httpx.Request("POST", "https://llm.example/v1/chat")
        response = httpx.Response(code, request=request)
        raise httpx.HTTPStatusError(f"HTTP {code}", request=request, response=response)

    return call


def fail_times(breaker: Breaker, n: int, fn: Callable[[], None] = fail) -> None:
    """Call `n` times; each call must reach `fn` (and raise its error, not BreakerOpen)."""
    for _ in range(n):
        with pytest.raises((TimeoutError, httpx.HTTPError)):
            breaker.call(fn)


def test_closed__opens_after_consecutive_failures(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    breaker, transitions, _ = make_breaker(make_store(), clock, policy(failure_threshold=3))
    fail_times(breaker, 2)
    breaker.call(lambda: None)  # a success resets the streak
    fail_times(breaker, 2)
    assert transitions == []
    fail_times(breaker, 1)
    assert [(t.from_state, t.to_state, t.reason.slug) for t in transitions] == [
        (State.CLOSED, State.OPEN, "consecutive_failures")
    ]
    assert transitions[0].consecutive_failures == 3


def test_closed__opens_on_failure_rate_once_minimum_calls_reached(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    p = policy(failure_threshold=0, failure_rate_threshold=50.0, window_size=10, minimum_calls=4)
    breaker, transitions, _ = make_breaker(make_store(), clock, p)
    fail_times(breaker, 2)
    breaker.call(lambda: None)
    assert transitions == []  # 2 of 3 failed, but 3 calls are too few to judge
    breaker.call(lambda: None)
    assert [t.reason.slug for t in transitions] == ["failure_rate"]
    assert (transitions[0].calls, transitions[0].failures) == (4, 2)


def test_closed__opens_on_slow_call_rate(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    p = policy(
        failure_threshold=0,
        slow_call_duration=2.0,
        slow_call_rate_threshold=50.0,
        window_size=4,
        minimum_calls=4,
    )
    breaker, transitions, _ = make_breaker(make_store(), clock, p)

    def slow() -> str:
        clock.advance(2.0)
        return "late but fine"

    breaker.call(lambda: None)
    breaker.call(lambda: None)
    assert breaker.call(slow) == "late but fine"
    assert transitions == []
    breaker.call(slow)
    assert [t.reason.slug for t in transitions] == ["slow_call_rate"]
    assert (transitions[0].calls, transitions[0].slow, transitions[0].failures) == (4, 2, 0)


def test_time_window__calls_older_than_the_window_no_longer_count(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    p = policy(
        failure_threshold=0,
        failure_rate_threshold=50.0,
        window_type="time",
        window_size=3,
        minimum_calls=2,
    )
    store = make_store()
    breaker, transitions, _ = make_breaker(store, clock, p)
    fail_times(breaker, 1)
    clock.advance(3.0)  # the failure's second has just left the 3-second window
    breaker.call(lambda: None)
    assert transitions == []
    assert (store.snapshot(NAME, p).calls, store.snapshot(NAME, p).failures) == (1, 0)
    clock.advance(0.5)
    fail_times(breaker, 1)
    assert [t.reason.slug for t in transitions] == ["failure_rate"]


def test_open__rejects_without_calling_and_reports_retry_after(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    breaker, _, _ = make_breaker(make_store(), clock, policy(failure_threshold=1))
    fail_times(breaker, 1)
    clock.advance(2.5)
    calls: list[int] = []
    with pytest.raises(BreakerOpen) as rejected:
        breaker.call(calls.append, 1)
    assert calls == []
    assert rejected.value.retry_after == pytest.approx(7.5)
    assert rejected.value.name == NAME
    assert not rejected.value.forced


def test_reopening__open_time_grows_exponentially_up_to_the_cap(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    p = policy(
        failure_threshold=1, recovery_timeout=1.0, recovery_backoff=3.0, recovery_timeout_max=20.0
    )
    breaker, transitions, _ = make_breaker(make_store(), clock, p)
    fail_times(breaker, 1)
    for _ in range(4):
        clock.advance(transitions[-1].open_for)
        fail_times(breaker, 1)  # the trial fails: open again, for longer
    opened = [t.open_for for t in transitions if t.to_state == State.OPEN]
    assert opened == [1.0, 3.0, 9.0, 20.0, 20.0]
    assert [t.trips for t in transitions if t.to_state == State.OPEN] == [1, 2, 3, 4, 5]


def test_half_open__closes_after_success_threshold_and_clears_window(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    p = policy(failure_threshold=2, half_open_max_calls=3, success_threshold=2)
    store = make_store()
    breaker, transitions, _ = make_breaker(store, clock, p)
    fail_times(breaker, 2)
    clock.advance(10.0)
    breaker.call(lambda: None)
    assert store.snapshot(NAME, p).state == State.HALF_OPEN
    breaker.call(lambda: None)
    assert [(t.to_state, t.reason.slug) for t in transitions][-2:] == [
        (State.HALF_OPEN, "recovery_elapsed"),
        (State.CLOSED, "trials_succeeded"),
    ]
    snapshot = store.snapshot(NAME, p)
    assert (snapshot.state, snapshot.calls, snapshot.consecutive_failures, snapshot.trips) == (
        State.CLOSED,
        0,
        0,
        0,
    )


def test_half_open__admits_no_more_than_the_limit_while_trials_run(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    p = policy(failure_threshold=1, half_open_max_calls=2, max_half_open_wait=30.0)
    breaker, _, _ = make_breaker(make_store(), clock, p)
    fail_times(breaker, 1)
    clock.advance(10.0)
    trials = [HeldCall(breaker), HeldCall(breaker)]
    assert [trial.rejected for trial in trials] == [None, None]
    with pytest.raises(BreakerOpen) as rejected:
        breaker.call(lambda: None)
    assert rejected.value.retry_after == pytest.approx(30.0)
    for trial in trials:
        trial.finish()
    assert breaker.call(lambda: "closed again") == "closed again"


def test_stale_generation__outcome_of_a_call_admitted_before_a_trip_is_dropped(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    p = policy(failure_threshold=2)
    store = make_store()
    breaker, _, _ = make_breaker(store, clock, p)
    long_call = HeldCall(breaker)
    fail_times(breaker, 2)  # opens while the long call runs
    clock.advance(10.0)
    breaker.call(lambda: None)  # first trial: half-open, 1 success
    long_call.finish(TimeoutError("late"))  # from the closed period
    snapshot = store.snapshot(NAME, p)
    assert (snapshot.state, snapshot.trial_successes) == (State.HALF_OPEN, 1)


def test_metrics_only__counts_but_never_opens(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    p = policy(failure_threshold=2, mode="metrics_only")
    store = make_store()
    breaker, transitions, _ = make_breaker(store, clock, p)
    fail_times(breaker, 5)
    assert transitions == []
    snapshot = store.snapshot(NAME, p)
    assert (snapshot.state, snapshot.calls, snapshot.failures, snapshot.consecutive_failures) == (
        State.CLOSED,
        5,
        5,
        5,
    )


def test_forced_open__rejects_every_call_and_says_so(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    breaker, _, _ = make_breaker(make_store(), clock, policy(mode="forced_open"))
    calls: list[int] = []
    with pytest.raises(BreakerOpen) as rejected:
        breaker.call(calls.append, 1)
    assert calls == []
    assert rejected.value.forced
    assert rejected.value.retry_after == 10.0


@pytest.mark.parametrize("override", [{"mode": "forced_closed"}, {"enabled": False}])
def test_forced_closed_and_disabled__run_every_call_and_record_nothing(
    make_store: Callable[[], BreakerStore], clock: FakeClock, override: dict[str, object]
) -> None:
    p = policy(failure_threshold=1, **override)
    store = make_store()
    breaker, transitions, _ = make_breaker(store, clock, p)
    fail_times(breaker, 4)
    assert transitions == []
    assert store.snapshot(NAME, p).calls == 0


def test_back_to_normal__resumes_from_the_stored_state(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    p = policy(failure_threshold=1)
    breaker, _, policies = make_breaker(make_store(), clock, p)
    fail_times(breaker, 1)
    policies.set(policy(failure_threshold=1, mode="forced_closed"))
    assert breaker.call(lambda: "forced through") == "forced through"
    policies.set(p)
    with pytest.raises(BreakerOpen):
        breaker.call(lambda: None)


@pytest.mark.parametrize("code", [400, 401, 403, 404, 422])
def test_client_errors__never_open_the_breaker(
    make_store: Callable[[], BreakerStore], clock: FakeClock, code: int
) -> None:
    breaker, transitions, _ = make_breaker(make_store(), clock, policy(failure_threshold=2))
    fail_times(breaker, 5, status_error(code))
    assert transitions == []


@pytest.mark.parametrize(
    "error",
    [
        status_error(500),
        status_error(503),
        status_error(429),
        fail,
        lambda: (_ for _ in ()).throw(httpx.ConnectTimeout("connect timed out")),
        lambda: (_ for _ in ()).throw(httpx.ConnectError("connection refused")),
    ],
    ids=["500", "503", "429", "timeout", "httpx-timeout", "httpx-connect"],
)
def test_server_errors_timeouts_and_429__open_the_breaker(
    make_store: Callable[[], BreakerStore], clock: FakeClock, error: Callable[[], None]
) -> None:
    breaker, transitions, _ = make_breaker(make_store(), clock, policy(failure_threshold=2))
    fail_times(breaker, 2, error)
    assert [t.to_state for t in transitions] == [State.OPEN]


def test_window_resize__starts_a_fresh_window(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    p = policy(failure_threshold=0, failure_rate_threshold=50.0, window_size=4, minimum_calls=4)
    store = make_store()
    breaker, transitions, policies = make_breaker(store, clock, p)
    fail_times(breaker, 3)
    resized = policy(
        failure_threshold=0, failure_rate_threshold=50.0, window_size=6, minimum_calls=4
    )
    policies.set(resized)
    breaker.call(lambda: None)
    assert transitions == []
    assert store.snapshot(NAME, resized).calls == 1


def test_reset__returns_to_closed_with_empty_counters(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    p = policy(failure_threshold=2)
    store = make_store()
    breaker, _, _ = make_breaker(store, clock, p)
    fail_times(breaker, 2)
    transition = store.reset(NAME, p)
    breaker.forget_view()
    assert (transition.from_state, transition.to_state, transition.reason.slug) == (
        State.OPEN,
        State.CLOSED,
        "reset",
    )
    assert breaker.call(lambda: "through") == "through"
    snapshot = store.snapshot(NAME, p)
    assert (snapshot.state, snapshot.calls, snapshot.trips) == (State.CLOSED, 1, 0)


def test_rules__written_once_and_applied_by_every_store(
    make_store: Callable[[], BreakerStore], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Change one rule in machine.py (here: every outcome trips) and every store must follow it:
    # no store keeps a copy of the rules of its own.
    monkeypatch.setattr(Machine, "_trip_reason", lambda self, *args: Reason.CONSECUTIVE_FAILURES)
    breaker, transitions, _ = make_breaker(make_store(), clock, policy(failure_threshold=3))
    assert breaker.call(lambda: "fine") == "fine"
    assert [t.reason.slug for t in transitions] == ["consecutive_failures"]
    with pytest.raises(BreakerOpen):
        breaker.call(lambda: None)
