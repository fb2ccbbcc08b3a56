"""Scenario 1: the LLM fails every call while interviews run (bench/chaos.py llm-down)."""

from typing import Any

import pytest

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(420)]


def test_llm_down__interviews_continue_on_cache_or_fallback_and_breakers_recover(
    run_scenario: Any,
) -> None:
    # 20 s after the LLM returns: longer than the open period a 10 s outage can leave (10 s,
    # or 20 s after a failed trial).
    record = run_scenario("llm-down", outage=10.0, llm_timeout=5.0, after=20.0)

    assert record.lost == 0
    assert record.duplicated == 0
    assert record.ok, record.problems
