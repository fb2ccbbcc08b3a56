"""The evaluation retry rule, without Celery: wait for a breaker, retry, or give up."""

from typing import Any

import pytest

from interviews.llm.errors import ProvidersUnavailable
from interviews.services.evaluation_retry import RetryKind, evaluation_retry_step


@pytest.fixture
def limits(settings: Any) -> Any:
    settings.EVALUATION_MAX_ATTEMPTS = 3
    settings.EVALUATION_BREAKER_WAITS = 2
    settings.EVALUATION_RETRY_BASE_SECONDS = 10
    settings.EVALUATION_RETRY_MAX_SECONDS = 300
    return settings


def _open_breakers(retry_after: float) -> ProvidersUnavailable:
    return ProvidersUnavailable("evaluate", {"openai": "breaker open"}, retry_after=retry_after)


def test_failures__retry_until_the_last_attempt_then_give_up(limits: Any) -> None:
    steps = [
        evaluation_retry_step(ValueError("bad"), retries=n, breaker_waits=0) for n in (0, 1, 2)
    ]

    assert [s.kind for s in steps] == [RetryKind.RETRY, RetryKind.RETRY, RetryKind.GIVE_UP]
    assert [s.attempt for s in steps] == [1, 2, 3]
    assert all(0 <= s.delay <= 300 for s in steps)
    assert steps[2].describe(7, ValueError("bad")) == "Failed after 3 attempts: ValueError: bad"


def test_open_breakers__wait_at_least_until_the_next_trial_without_spending_an_attempt(
    limits: Any,
) -> None:
    first = evaluation_retry_step(_open_breakers(42.2), retries=0, breaker_waits=0)
    second = evaluation_retry_step(_open_breakers(42.2), retries=1, breaker_waits=1)
    # Waits used up: the next failure spends an attempt again.
    third = evaluation_retry_step(_open_breakers(42.2), retries=2, breaker_waits=2)

    assert (first.kind, first.breaker_waits, first.delay >= 43) == (
        RetryKind.WAIT_FOR_BREAKER,
        1,
        True,
    )
    assert (second.kind, second.breaker_waits) == (RetryKind.WAIT_FOR_BREAKER, 2)
    assert (third.kind, third.attempt, third.breaker_waits) == (RetryKind.RETRY, 1, 2)


def test_breaker_wait__never_longer_than_the_retry_cap(limits: Any) -> None:
    step = evaluation_retry_step(_open_breakers(10_000), retries=0, breaker_waits=0)
    assert step.delay == 300
