"""Which real services this run has, and what a test does when one is missing.

Locally a test that needs PostgreSQL or Redis skips when the service is not configured; with
REQUIRE_SERVICES=1 (set by .ci/run) a missing service is a failure, so CI can never go green
by skipping the tests that matter. Fixtures of any scope use these, so the rule lives here once.
"""

import os

import pytest
import redis
from django.db import connection


def missing(what: str) -> None:
    """Skip the test (locally) or fail it (REQUIRE_SERVICES=1): `what` is not configured."""
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not configured")
    pytest.skip(f"{what} not configured")


def require_redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        missing("REDIS_URL")
    return url


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        missing("DATABASE_URL (PostgreSQL)")


def redis_delete_prefix(url: str, prefix: str) -> None:
    """Remove every key under a test's private `prefix`."""
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
    if keys:
        client.delete(*keys)
    client.close()
