"""The database store: the embedded default, on SQLite or PostgreSQL, shared by processes."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from resilience.breakers import Breaker, BreakerOpen, BreakerPolicy, State
from resilience.breakers.policies import StaticPolicies
from resilience.breakers.stores.database import DatabaseStore
from resilience.models import BreakerStoreRecord

from .conftest import FakeClock

pytestmark = pytest.mark.django_db(transaction=True)


def fail() -> None:
    raise TimeoutError("down")


def test_database_store__opens_rejects_and_recovers(clock: FakeClock) -> None:
    policy = BreakerPolicy(
        name="db.dep",
        failure_threshold=2,
        recovery_timeout=5.0,
        half_open_max_calls=1,
        success_threshold=1,
    )
    store = DatabaseStore(clock=clock)
    breaker = Breaker("db.dep", store=store, policies=StaticPolicies(policy), clock=clock)
    for _ in range(2):
        with pytest.raises(TimeoutError):
            breaker.call(fail)
    with pytest.raises(BreakerOpen) as rejected:
        breaker.call(lambda: None)
    assert rejected.value.retry_after == 5.0
    assert BreakerStoreRecord.objects.get(name="db.dep").data["state"] == State.OPEN

    clock.advance(5.0)
    assert breaker.call(lambda: "trial") == "trial"
    snapshot = store.snapshot("db.dep", policy)
    assert (snapshot.state, snapshot.calls, snapshot.trips) == (State.CLOSED, 0, 0)


def test_database_store__half_open_admits_exactly_n_across_connections(clock: FakeClock) -> None:
    policy = BreakerPolicy(
        name="db.trials",
        failure_threshold=1,
        recovery_timeout=1.0,
        half_open_max_calls=3,
        success_threshold=3,
        max_half_open_wait=60.0,
    )
    opener = Breaker("db.trials", store=DatabaseStore(clock=clock), policies=StaticPolicies(policy))
    with pytest.raises(TimeoutError):
        opener.call(fail)
    clock.advance(1.0)
    start = threading.Barrier(12)

    def contend() -> bool:
        start.wait()
        try:  # each thread has its own connection, like a separate process
            return DatabaseStore(clock=clock).acquire("db.trials", policy).admitted
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=12) as pool:
        admitted = list(pool.map(lambda _: contend(), range(12)))
    assert admitted.count(True) == 3
    assert DatabaseStore(clock=clock).snapshot("db.trials", policy).active_trials == 3


def test_database_store__inside_a_callers_transaction_on_postgres_commits_on_its_own(
    postgres_required: None, clock: FakeClock
) -> None:
    policy = BreakerPolicy(name="db.atomic", failure_threshold=1)
    store = DatabaseStore(clock=clock)
    breaker = Breaker("db.atomic", store=store, policies=StaticPolicies(policy), clock=clock)

    def other_process() -> State:
        try:
            return DatabaseStore(clock=clock).acquire("db.atomic", policy).state
        finally:
            connection.close()

    def caller_that_rolls_back() -> None:
        with transaction.atomic():
            with pytest.raises(TimeoutError):
                breaker.call(fail)
            # Another connection can update the row at once: the caller holds no lock on it.
            with ThreadPoolExecutor(max_workers=1) as pool:
                assert pool.submit(other_process).result(timeout=10) == State.OPEN
            raise RuntimeError("the caller rolls back its own work")

    with pytest.raises(RuntimeError):
        caller_that_rolls_back()
    assert store.snapshot("db.atomic", policy).state == State.OPEN  # the breaker's state stays
