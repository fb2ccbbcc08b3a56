"""Bursts do not exhaust PostgreSQL: a web process holds at most DB_POOL_MAX_SIZE connections
(psycopg 3's pool), however many requests arrive at once, and a request that cannot get one
within DB_POOL_TIMEOUT is a clear 503, not a hang or a 500.

A real uvicorn against the test database; its connections are told apart by their
application_name (libpq's PGAPPNAME). The full-size burst is bench/http_burst.py.
"""

import asyncio
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.e2e.stack import database_url, free_port, stack
from tests.factories import make_interview
from tests.monitoring.helpers import services_env

pytestmark = [pytest.mark.services, pytest.mark.timeout(180)]

POOL = 3


def _dsn() -> str:
    return database_url()


class ConnectionSampler:
    """The server's connections to the test database, sampled every 10 ms on a thread."""

    def __init__(self, app: str) -> None:
        self.app, self.samples = app, [0]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(_dsn(), autocommit=True) as db:
            while not self._stop.is_set():
                row = db.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    [self.app],
                ).fetchone()
                self.samples.append(int(row[0]) if row else 0)
                time.sleep(0.01)

    def __enter__(self) -> "ConnectionSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


async def _burst(port: int, paths: list[str]) -> list[int]:
    limits = httpx.Limits(max_connections=len(paths), max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        answers = await asyncio.gather(
            *(client.get(f"http://127.0.0.1:{port}{path}") for path in paths)
        )
    return [a.status_code for a in answers]


@pytest.mark.django_db(transaction=True)
def test_burst__no_500_and_the_server_stays_within_its_pool(
    postgres_required: None, redis_url: str, tmp_path: Path
) -> None:
    created = make_interview()
    app = f"burst-{secrets.token_hex(4)}"
    env = services_env(
        tmp_path,
        redis_url,
        PGAPPNAME=app,
        DB_POOL_MAX_SIZE=str(POOL),
        DB_POOL_TIMEOUT="30",
        # Every request comes from 127.0.0.1: no guessing limit, or the count would outlive
        # the test and refuse the next test's invite links from the same address.
        TOKEN_FAILURES_PER_MINUTE="0",
    )
    kinds = [
        created.invite_path,
        f"/i/{secrets.token_urlsafe(32)}/",  # unknown: 404
        "/health/ready/",
        "/health/live/",
    ]
    paths = [kinds[n % len(kinds)] for n in range(80)]
    port = free_port()
    with stack(env, tmp_path) as running:
        running.uvicorn(port)
        with ConnectionSampler(app) as sampler:
            statuses = asyncio.run(_burst(port, paths))

    assert [(p, s) for p, s in zip(paths, statuses, strict=True) if s >= 500] == []
    assert statuses[0] == 200
    assert max(sampler.samples) <= POOL, f"peak {max(sampler.samples)} connections"
    assert len(sampler.samples) > 10


@pytest.mark.django_db(transaction=True)
def test_pool_exhausted__503_after_the_pool_timeout_not_a_hang(
    postgres_required: None, redis_url: str, tmp_path: Path
) -> None:
    """The pool's only connection is stuck behind a table lock held here; the next request
    waits DB_POOL_TIMEOUT for a connection and gets a retryable 503."""
    created = make_interview()
    env = services_env(
        tmp_path,
        redis_url,
        DB_POOL_MAX_SIZE="1",
        DB_POOL_TIMEOUT="1",
        TOKEN_FAILURES_PER_MINUTE="0",
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with stack(env, tmp_path) as running:
        running.uvicorn(port)
        assert httpx.get(url + created.invite_path, timeout=30).status_code == 200
        results: dict[str, Any] = {}
        with psycopg.connect(_dsn()) as locker:
            locker.execute("LOCK TABLE interviews_interview IN ACCESS EXCLUSIVE MODE")
            stuck = threading.Thread(
                target=lambda: results.update(
                    stuck=httpx.get(url + created.invite_path, timeout=60).status_code
                )
            )
            stuck.start()
            time.sleep(1.0)  # the first request now holds the connection, waiting on the lock
            started = time.monotonic()
            refused = httpx.get(
                url + "/health/ready/", headers={"Accept": "application/json"}, timeout=30
            )
            waited = time.monotonic() - started
            refused_api = httpx.get(
                f"{url}/i/{secrets.token_urlsafe(32)}/",
                headers={"Accept": "application/json"},
                timeout=30,
            )
            locker.rollback()
        stuck.join(timeout=30)

    assert results["stuck"] == 200, "the stuck request completes once the lock is gone"
    assert refused_api.status_code == 503
    error = refused_api.json()["error"]
    assert (error["code"], error["retryable"]) == ("service_unavailable", True)
    assert refused_api.headers["Retry-After"] == "1"
    assert refused.status_code == 503
    assert waited < 10
