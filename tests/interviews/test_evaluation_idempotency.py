"""A duplicated, redelivered or overtaken evaluation task never produces a second evaluation, a
second LLM call while one is in flight, or a half-written row. Real PostgreSQL row locks, real
threads, the fake LLM over HTTP."""

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from interviews.fake_llm.server import FakeLLMHandle
from interviews.models import Evaluation, EvaluationStatus
from interviews.services.evaluation import (
    EvaluationRerunRefused,
    evaluation_rerun,
    evaluation_run,
)
from interviews.tasks import evaluate_interview
from tests.factories import STRONG_ANSWER
from tests.interviews.evaluation_support import (
    eager_celery,
    finished_interview,
    use_openai_at,
)
from tests.waiting import wait_for

LLM_LATENCY_MS = 800


def _in_thread(work: Callable[[], Any], results: list[Any], start: threading.Barrier) -> Any:
    def run() -> None:
        try:
            start.wait(5)
            results.append(work())
        except Exception as exc:  # the assertion on `results` reports it
            results.append(exc)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db
def test_duplicated_task__second_delivery_does_nothing_and_keeps_the_first_result(
    settings: Any, fake: FakeLLMHandle
) -> None:
    interview = finished_interview(STRONG_ANSWER)
    use_openai_at(settings, fake.base_url)

    first = evaluate_interview.apply(kwargs={"interview_id": interview.pk})
    stored = Evaluation.objects.get(interview=interview)
    second = evaluate_interview.apply(kwargs={"interview_id": interview.pk})

    assert (first.get(), second.get()) == ("done", "done")
    assert Evaluation.objects.filter(interview=interview).count() == 1
    again = Evaluation.objects.get(interview=interview)
    assert (again.attempts, again.finished_at, again.report) == (
        1,
        stored.finished_at,
        stored.report,
    )
    assert fake.status()["by_task"] == {"evaluate": 1}, "the duplicate never called the LLM"


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_the_same_time__one_llm_call_one_complete_result(
    settings: Any, fake: FakeLLMHandle, postgres_required: None
) -> None:
    with eager_celery():
        interview = finished_interview(STRONG_ANSWER)  # evaluated offline on completion
    Evaluation.objects.filter(interview=interview).delete()  # as if that task were still queued
    use_openai_at(settings, fake.base_url)
    fake.control(latency_ms=LLM_LATENCY_MS)

    results: list[Any] = []
    start = threading.Barrier(2)
    threads = [
        _in_thread(
            lambda: evaluate_interview.apply(kwargs={"interview_id": interview.pk}).get(),
            results,
            start,
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.join(10)

    # One delivery claimed the row; the other found it running and left it alone.
    assert sorted(results) == ["done", "running"]
    assert fake.status()["by_task"] == {"evaluate": 1}
    evaluation = Evaluation.objects.get(interview=interview)
    assert (evaluation.status, evaluation.method, evaluation.attempts) == ("done", "llm:openai", 1)
    assert evaluation.overall_score is not None
    assert evaluation.report["questions"]


@pytest.mark.django_db(transaction=True)
def test_run_overtaken_by_a_rerun__is_refused_while_live_and_its_late_result_is_discarded(
    settings: Any, fake: FakeLLMHandle, postgres_required: None
) -> None:
    with eager_celery():
        interview = finished_interview(STRONG_ANSWER)
    Evaluation.objects.filter(interview=interview).delete()
    use_openai_at(settings, fake.base_url)
    fake.control(latency_ms=2 * LLM_LATENCY_MS)

    results: list[Any] = []
    slow = _in_thread(
        lambda: evaluation_run(interview_id=interview.pk), results, threading.Barrier(1)
    )
    wait_for(
        lambda: Evaluation.objects.filter(interview=interview, status="running").exists(),
        10,
        "the first run to claim the evaluation",
    )

    with pytest.raises(EvaluationRerunRefused, match="running now"):
        evaluation_rerun(interview=interview)

    # The worker outlived the task's hard time limit (it must be dead): staff may re-run.
    stale = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    Evaluation.objects.filter(interview=interview).update(started_at=stale)
    fake.control(latency_ms=0)
    with eager_celery():
        evaluation_rerun(interview=interview)  # runs the task on commit, in this thread
    rerun = Evaluation.objects.get(interview=interview)
    assert (rerun.status, rerun.attempts) == (EvaluationStatus.DONE, 2)

    slow.join(10)
    (late,) = results
    assert isinstance(late, Evaluation)
    final = Evaluation.objects.get(interview=interview)
    assert (final.attempts, final.finished_at, final.report) == (
        2,
        rerun.finished_at,
        rerun.report,
    ), "the overtaken run wrote nothing"
    assert fake.status()["by_task"] == {"evaluate": 2}
