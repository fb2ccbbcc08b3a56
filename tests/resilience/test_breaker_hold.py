"""A Retry-After hold (Breaker.hold), identical for the memory, Redis and database stores."""

from collections.abc import Callable

import pytest

from resilience.breakers import BreakerOpen, State
from resilience.breakers.state import Reason
from resilience.breakers.stores.base import BreakerStore
from resilience.breakers.stores.database import DatabaseStore

from .conftest import FakeClock
from .test_breaker_rules import make_breaker, policy


def ok() -> str:
    return "ok"


@pytest.mark.parametrize("store_kind", ["memory", "redis"], indirect=True)
def test_hold__opens_for_exactly_the_hold_then_admits_trials(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    breaker, transitions, _ = make_breaker(make_store(), clock, policy())
    breaker.hold(7.0)
    assert [(t.to_state, t.reason, t.open_for) for t in transitions] == [
        (State.OPEN, Reason.RETRY_AFTER, 7.0)
    ]
    clock.advance(6.999)
    with pytest.raises(BreakerOpen) as caught:
        breaker.call(ok)
    assert caught.value.retry_after == pytest.approx(0.001)
    clock.advance(0.001)
    assert breaker.call(ok) == "ok"  # the first half-open trial
    assert breaker.snapshot().state == State.HALF_OPEN


@pytest.mark.parametrize("store_kind", ["memory", "redis"], indirect=True)
def test_hold__lengthens_an_open_period_never_shortens_it(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    store = make_store()
    breaker, _, _ = make_breaker(store, clock, policy())
    breaker.hold(30.0)
    breaker.hold(5.0)
    assert breaker.snapshot().retry_after == 30.0
    breaker.hold(45.0)
    assert breaker.snapshot().retry_after == 45.0
    other, _, _ = make_breaker(store, clock, policy())  # another process, same store
    with pytest.raises(BreakerOpen):
        other.call(ok)


@pytest.mark.parametrize("store_kind", ["memory", "redis"], indirect=True)
def test_hold__capped_at_recovery_timeout_max_and_none_means_recovery_timeout(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    breaker, _, _ = make_breaker(make_store(), clock, policy(recovery_timeout_max=60.0))
    breaker.hold(86_400.0)
    assert breaker.snapshot().retry_after == 60.0
    fresh, _, _ = make_breaker(make_store(), clock, policy())
    fresh.store.reset(fresh.name, fresh.policy)
    fresh.hold()
    assert fresh.snapshot().retry_after == 10.0


@pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
def test_hold__ignored_under_an_operators_override(
    make_store: Callable[[], BreakerStore], clock: FakeClock
) -> None:
    breaker, transitions, _ = make_breaker(make_store(), clock, policy(mode="metrics_only"))
    breaker.hold(30.0)
    assert transitions == []
    assert breaker.call(ok) == "ok"


@pytest.mark.django_db(transaction=True)
def test_hold__database_store(postgres_required: None, clock: FakeClock) -> None:
    breaker, transitions, _ = make_breaker(DatabaseStore(clock=clock), clock, policy())
    breaker.hold(7.0)
    assert [(t.to_state, t.reason) for t in transitions] == [(State.OPEN, Reason.RETRY_AFTER)]
    snapshot = breaker.snapshot()
    assert (snapshot.state, snapshot.retry_after) == (State.OPEN, 7.0)
