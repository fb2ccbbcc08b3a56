from typing import Any

import pytest

from interviews.fake_llm.server import FakeLLMHandle
from interviews.models import Evaluation, EvaluationStatus
from interviews.services.evaluation_retry import evaluation_retry_delay
from interviews.tasks import evaluate_interview
from resilience.background import breaker_side_effects
from resilience.breakers.registry import reset_registry
from tests.factories import STRONG_ANSWER
from tests.interviews.evaluation_support import (
    eager_celery,
    finished_interview,
    use_openai_at,
)


def test_evaluation_retry_delay__grows_exponentially_within_the_cap_with_full_jitter(
    settings: Any,
) -> None:
    settings.EVALUATION_RETRY_BASE_SECONDS = 10
    settings.EVALUATION_RETRY_MAX_SECONDS = 300
    for retries, ceiling in [(0, 10), (1, 20), (2, 40), (3, 80), (8, 300)]:
        delays = {evaluation_retry_delay(retries) for _ in range(300)}
        assert min(delays) >= 0
        assert max(delays) <= ceiling
        # Full jitter: delays spread over the whole range, not clustered at the ceiling.
        assert min(delays) <= ceiling * 0.2
        assert max(delays) >= ceiling * 0.8


def _assert_incomplete_after_all_attempts(
    interview_id: int, result: Any, why: str, *, runs: int = 3
) -> None:
    assert result.failed(), "the last attempt re-raises so Celery records the failure"
    evaluation = Evaluation.objects.get(interview_id=interview_id)
    assert evaluation.status == EvaluationStatus.INCOMPLETE
    assert (evaluation.overall_score, evaluation.recommendation, evaluation.report) == (
        None,
        "",
        {},
    )
    assert evaluation.attempts == runs  # every run claims the evaluation once
    assert evaluation.reason.startswith("Failed after 3 attempts: ProvidersUnavailable")
    assert why in evaluation.reason


@pytest.mark.django_db
def test_evaluate_interview__deleted_interview_is_dropped_without_retry() -> None:
    result = evaluate_interview.apply(kwargs={"interview_id": 987654})
    assert result.get() == "missing"
    assert not Evaluation.objects.exists()


@pytest.mark.django_db
def test_provider_errors__are_retried_max_attempts_times_then_incomplete(
    settings: Any, fake: FakeLLMHandle
) -> None:
    interview = finished_interview(STRONG_ANSWER)
    use_openai_at(settings, fake.base_url)
    fake.control(mode="error500")

    result = evaluate_interview.apply(kwargs={"interview_id": interview.pk})

    _assert_incomplete_after_all_attempts(interview.pk, result, "HTTPStatusError")
    # Three task attempts, each with the gateway's own three quick tries.
    assert fake.status()["by_outcome"] == {"error500": 9}


@pytest.mark.django_db
def test_evaluation_attempts_and_http_tries__are_separate_settings(
    settings: Any, fake: FakeLLMHandle
) -> None:
    interview = finished_interview(STRONG_ANSWER)
    use_openai_at(settings, fake.base_url)
    settings.MAX_RETRY_ATTEMPTS = 1  # one HTTP try per provider and run
    settings.EVALUATION_MAX_ATTEMPTS = 4  # four runs of the task
    fake.control(mode="error500")

    result = evaluate_interview.apply(kwargs={"interview_id": interview.pk})

    assert result.failed()
    evaluation = Evaluation.objects.get(interview_id=interview.pk)
    assert evaluation.attempts == 4
    assert evaluation.reason.startswith("Failed after 4 attempts: ProvidersUnavailable")
    assert fake.status()["by_outcome"] == {"error500": 4}


@pytest.mark.django_db
def test_llm_timeouts__are_retried_max_attempts_times_then_incomplete(
    settings: Any, fake: FakeLLMHandle
) -> None:
    interview = finished_interview(STRONG_ANSWER)
    use_openai_at(settings, fake.base_url)
    settings.LLM_TIMEOUT_SECONDS = 0.2
    fake.control(mode="hang")

    result = evaluate_interview.apply(kwargs={"interview_id": interview.pk})

    _assert_incomplete_after_all_attempts(interview.pk, result, "openai")


@pytest.mark.django_db(transaction=True)
def test_open_breaker__waits_spend_no_attempt_and_no_request_then_end_incomplete(
    settings: Any, fake: FakeLLMHandle
) -> None:
    with eager_celery():
        interview = finished_interview(STRONG_ANSWER)
    Evaluation.objects.filter(interview=interview).delete()
    use_openai_at(settings, fake.base_url)
    settings.BREAKERS = {"llm.openai": {"failure_threshold": 2, "recovery_timeout": 120}}
    settings.EVALUATION_BREAKER_WAITS = 2
    reset_registry()
    fake.control(mode="error500")
    try:
        result = evaluate_interview.apply(kwargs={"interview_id": interview.pk})
    finally:
        breaker_side_effects.drain(10)
        reset_registry()

    # Run 1 opens the breaker; runs 2 and 3 find it open and wait (an eager retry runs at
    # once), then runs 4 and 5 spend the remaining two of the three attempts.
    _assert_incomplete_after_all_attempts(interview.pk, result, "breaker open", runs=5)
    assert fake.status()["requests"] == 2, "once open, the breaker sends nothing upstream"
