"""Not collected by the suite (CI's time budget): run it explicitly,

    .venv/bin/pytest tests/chaos/full_postgres_restart.py

or spec-sized with `make chaos CHAOS_ARGS=postgres-restart`.

Scenario 4: PostgreSQL restarted mid-interview (bench/chaos.py postgres-restart)."""

from typing import Any

import pytest

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(420)]


def test_postgres_restart__retryable_errors_then_accepted_web_and_workers_not_restarted(
    run_scenario: Any,
) -> None:
    record = run_scenario("postgres-restart", outage=6.0)

    assert record.lost == 0
    assert record.duplicated == 0
    assert record.ok, record.problems
