"""Not collected by the suite (CI's time budget; tests/e2e/test_worker_kill.py kills a worker
mid-evaluation in CI): run it explicitly,

    .venv/bin/pytest tests/chaos/full_worker_kill.py

or spec-sized with `make chaos CHAOS_ARGS=worker-kill`.

Scenario 5: a Celery worker SIGKILLed mid-evaluation (bench/chaos.py worker-kill)."""

from typing import Any

import pytest

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(420)]


def test_worker_sigkilled_mid_evaluation__every_evaluation_completes_exactly_once(
    run_scenario: Any,
) -> None:
    # An 8 s hard limit (visibility timeout 23 s): the killed run's task comes back sooner.
    record = run_scenario("worker-kill", interviews=6, questions=2, kills=1, task_time_limit=8)

    assert record.lost == 0
    assert record.duplicated == 0
    assert record.ok, record.problems
