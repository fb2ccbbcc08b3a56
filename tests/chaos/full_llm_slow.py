"""Not collected by the suite (CI's time budget): run it explicitly,

    .venv/bin/pytest tests/chaos/full_llm_slow.py

or spec-sized with `make chaos CHAOS_ARGS=llm-slow`.

Scenario 2: the LLM answers slower than the slow-call threshold (bench/chaos.py llm-slow)."""

from typing import Any

import pytest

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(420)]


def test_llm_slow__slow_call_rate_opens_the_breaker_and_turns_stay_within_one_timeout(
    run_scenario: Any,
) -> None:
    record = run_scenario("llm-slow", outage=20.0, llm_timeout=6.0, latency_ms=3000.0, after=30.0)

    assert record.lost == 0
    assert record.ok, record.problems
