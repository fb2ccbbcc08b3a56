"""Shared fixtures.

Tests that need PostgreSQL or Redis ask for `redis_url` / `postgres_required`. Locally they skip
when the service is not configured; with REQUIRE_SERVICES=1 (set by .ci/run) a missing service
is a failure, so CI can never go green by skipping the tests that matter.
"""

import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings

from tests.services import require_postgres, require_redis_url


@pytest.fixture(scope="session", autouse=True)
def process_prepared() -> None:
    # pytest is an entry point like manage.py (interviewsite/runtime.py): the embedded broker's
    # folders exist before any test reads a queue, whichever test a worker runs first.
    from interviewsite.runtime import prepare_process

    # Tasks a previous run left on the embedded broker (tests/settings.py) are not this run's.
    if (broker := getattr(settings, "TEST_BROKER_DIR", None)) is not None:
        shutil.rmtree(broker, ignore_errors=True)
    prepare_process()


@pytest.fixture
def redis_url() -> str:
    return require_redis_url()


@pytest.fixture
def postgres_required() -> None:
    require_postgres()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None) -> Iterator[None]:
    # pytest-django's, plus: before the test database is dropped, every socket thread gives back
    # the pooled connection it holds. Channels' test communicator turns close_old_connections
    # into a no-op while a test awaits it (channels/testing/application.py), so a call made on
    # those threads meanwhile keeps its connection, and PostgreSQL refused to drop a database
    # "being accessed by other users" at the end of every run.
    yield
    import contextlib
    import sys
    import threading

    from asgiref.sync import SyncToAsync
    from django.db import connections

    # asgiref's one thread for thread-sensitive calls (database_sync_to_async's default).
    with contextlib.suppress(TimeoutError):
        SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=15)
    socket_calls = sys.modules.get("interviews.socket_calls")  # no socket ran: nothing to do
    pools = (socket_calls.SOCKET_DB, socket_calls.MOVES) if socket_calls else ()
    for pool in pools:
        if not pool.threads:
            continue
        everyone = threading.Barrier(pool.threads)

        def release(everyone: threading.Barrier = everyone) -> None:
            connections.close_all()
            everyone.wait(timeout=10)  # each thread takes exactly one of these jobs

        for done in [pool.submit(release) for _ in range(pool.threads)]:
            # Best effort: a thread still busy only leaves the database behind, as before.
            with contextlib.suppress(threading.BrokenBarrierError, TimeoutError):
                done.result(timeout=15)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    # Consumers reach the database from worker threads; persistent connections there would
    # outlive the test and keep PostgreSQL from dropping the test database at the end.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> None:
    # Each async test runs on its own event loop: it gets its own layer (tests/event_loops.py).
    from tests.event_loops import fresh_channel_layer

    fresh_channel_layer()


@pytest.fixture(autouse=True)
def offered_questions_stored() -> Iterator[None]:
    # LLM questions are offered to the question cache on a background thread. Wait for them
    # here, before pytest-django cleans the database (its fixture is set up before this one,
    # so it is torn down after): a late write must not land in the next test's data.
    yield
    from resilience.question_cache.services import question_cache_offers_drain

    question_cache_offers_drain(10)
