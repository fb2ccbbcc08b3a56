"""Scenario 3: Redis killed and started again mid-interview (bench/chaos.py redis-restart)."""

from typing import Any

import pytest

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(420)]


def test_redis_restart__sockets_resume_breaker_store_recovers_celery_reconnects(
    run_scenario: Any,
) -> None:
    record = run_scenario("redis-restart", outage=5.0)

    assert record.lost == 0
    assert record.duplicated == 0
    assert record.ok, record.problems
