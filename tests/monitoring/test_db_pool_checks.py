"""The pool checks a connection before lending it at most once per DB_POOL_CHECK_SECONDS, not
on every checkout (a round trip per socket call before), and a connection that died while
idle (a restarted PostgreSQL) is still found and replaced before anyone uses it."""

import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import close_old_connections, connection
from django.test import override_settings

from tests.interviews.pg_round_trips import pg_round_trips

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_required")]

CHECK = ""  # the pool's check: an empty query


@pytest.fixture(autouse=True)
def fresh_pool(postgres_required: None) -> Iterator[None]:
    """These tests kill pooled connections and change the check interval: the next test in
    this process must not borrow a connection they left dead and recently checked."""
    yield
    close_old_connections()
    connection.close_pool()  # type: ignore[attr-defined]  # PostgreSQL backend only


def _borrow_and_query() -> int:
    """One socket call's worth: borrow a pooled connection, query, give it back."""
    close_old_connections()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    close_old_connections()
    return int(pid)


@override_settings(DB_POOL_CHECK_SECONDS=30)
def test_twenty_checkouts_in_a_row__at_most_one_check_per_connection() -> None:
    _borrow_and_query()
    with pg_round_trips() as trips:
        pids = {_borrow_and_query() for _ in range(20)}
    sent = trips.take()
    assert sent.count(CHECK) <= len(pids), sent


@override_settings(DB_POOL_CHECK_SECONDS=0.2)
def test_connection_killed_while_idle__replaced_before_use() -> None:
    pid = _borrow_and_query()  # now idle in the pool
    # From outside the pool, as a restart would: the idle connection's server process ends.
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
    close_old_connections()
    time.sleep(0.5)
    for _ in range(5):  # whichever connection the pool lends, none is the dead one
        assert _borrow_and_query() != pid
