import json
import uuid
from datetime import timedelta
from io import StringIO
from typing import Any, cast

import pytest
import redis
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from interviews.models import Evaluation, EvaluationStatus, Interview, InterviewStatus, SweepRun
from interviews.services.interviews import (
    interview_advance,
    interview_answer_submit,
    interview_start,
)
from interviews.services.maintenance import STUCK_EXCEPTION_TYPE, stuck_sweep
from interviewsite.celery import app
from resilience.dlq.models import DeadLetter, DeadLetterStatus
from tests.factories import STRONG_ANSWER, make_interview, run_to_completion
from tests.migration_rows import ensure_migration_rows

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(hours=5)


def _in_progress(idle_for: timedelta, *, answered: bool = False) -> Interview:
    interview = make_interview(question_count=3).interview
    interview_start(interview_id=interview.pk)
    interview_advance(interview_id=interview.pk)
    if answered:
        interview_answer_submit(
            interview_id=interview.pk, text=STRONG_ANSWER, client_msg_id=uuid.uuid4()
        )
    Interview.objects.filter(pk=interview.pk).update(last_activity_at=timezone.now() - idle_for)
    return interview


def _running_evaluation(running_for: timedelta) -> Evaluation:
    interview = run_to_completion(make_interview(question_count=1).interview.pk)
    evaluation = Evaluation.objects.get(interview=interview)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        status=EvaluationStatus.RUNNING, started_at=timezone.now() - running_for
    )
    return evaluation


@pytest.fixture
def rows() -> dict[str, object]:
    return {
        "idle": _in_progress(LONG_AGO, answered=True),
        "idle_unanswered": _in_progress(LONG_AGO),
        "active": _in_progress(timedelta(minutes=1)),
        "stuck_eval": _running_evaluation(LONG_AGO),
        "fresh_eval": _running_evaluation(timedelta(minutes=1)),
    }


def _snapshot() -> list[tuple[object, ...]]:
    interviews = list(Interview.objects.order_by("pk").values_list("pk", "status", "last_seq"))
    evaluations = list(Evaluation.objects.order_by("pk").values_list("pk", "status", "reason"))
    return [*interviews, *evaluations]


def test_dry_run__reports_the_stuck_rows_and_changes_nothing(rows: dict) -> None:
    before = _snapshot()
    out = StringIO()
    call_command("sweep_stuck", "--dry-run", stdout=out)
    assert _snapshot() == before
    text = out.getvalue()
    assert "Interviews abandoned (would): 2" in text
    assert "Evaluations failed (would): 1" in text
    assert SweepRun.objects.get().dry_run is True
    assert not DeadLetter.objects.exists()


def test_sweep__changes_exactly_the_stuck_rows(
    rows: dict, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = stuck_sweep()
    assert sorted(report.abandoned) == sorted([rows["idle"].pk, rows["idle_unanswered"].pk])
    assert report.evaluations_failed == [rows["stuck_eval"].pk]
    assert report.evaluations_requeued == [rows["stuck_eval"].pk]

    statuses = dict(Interview.objects.values_list("pk", "status"))
    assert statuses[rows["idle"].pk] == InterviewStatus.ABANDONED
    assert statuses[rows["idle_unanswered"].pk] == InterviewStatus.ABANDONED
    assert statuses[rows["active"].pk] == InterviewStatus.IN_PROGRESS
    stuck = Evaluation.objects.get(pk=rows["stuck_eval"].pk)
    assert stuck.status == EvaluationStatus.ERROR
    assert "Stuck" in stuck.reason
    assert stuck.overall_score is None
    assert stuck.auto_requeued_at is not None
    assert Evaluation.objects.get(pk=rows["fresh_eval"].pk).status == EvaluationStatus.RUNNING
    # The answered abandoned interview is evaluated; the one without answers is not.
    assert Evaluation.objects.filter(interview=rows["idle"]).exists()
    assert not Evaluation.objects.filter(interview=rows["idle_unanswered"]).exists()
    assert len(callbacks) >= 2  # the requeue and the new evaluation, both on commit
    abandoned = rows["idle"].turns.order_by("-seq").first()
    assert abandoned.meta == {"event": "completed", "reason": "abandoned"}
    assert SweepRun.objects.get().abandoned == 2


def test_second_sweep__does_not_requeue_the_same_evaluation_again(rows: dict) -> None:
    stuck_sweep()
    Evaluation.objects.filter(pk=rows["stuck_eval"].pk).update(
        status=EvaluationStatus.RUNNING, started_at=timezone.now() - LONG_AGO
    )
    report = stuck_sweep()
    assert report.evaluations_failed == [rows["stuck_eval"].pk]
    assert report.evaluations_requeued == []
    # The second time it waits in the dead-letter queue for an operator.
    second = DeadLetter.objects.order_by("pk").last()
    assert second is not None
    assert second.status == DeadLetterStatus.PENDING
    assert DeadLetter.objects.filter(status=DeadLetterStatus.RETRIED).count() == 1


def _queued_evaluation(broker: redis.Redis, task_id: str) -> dict | None:
    """The message for `task_id` in the broker's evaluation queue, removed from it."""
    for raw in cast(list[str], broker.lrange("evaluation", 0, -1)):
        message = json.loads(raw)
        if message["headers"]["id"] == task_id:
            broker.lrem("evaluation", 1, raw)
            return message
    return None


@pytest.mark.services
def test_sweep__the_stuck_evaluation_enters_the_dlq_and_is_requeued_from_it(
    rows: dict, redis_url: str, django_capture_on_commit_callbacks
) -> None:
    stuck = rows["stuck_eval"]
    with django_capture_on_commit_callbacks(execute=True):
        stuck_sweep()

    entry = DeadLetter.objects.get()
    assert entry.task_name == "interviews.tasks.evaluate_interview"
    assert (entry.args, entry.kwargs) == ([], {"interview_id": stuck.interview_id})
    assert entry.queue == "evaluation"
    assert entry.exception_type == STUCK_EXCEPTION_TYPE
    assert entry.exception_message == Evaluation.objects.get(pk=stuck.pk).reason
    # Requeued once, from the entry: the retry is linked, and resolves it when it succeeds.
    assert entry.status == DeadLetterStatus.RETRIED
    assert entry.retried_by is None
    assert entry.retried_at is not None
    broker = redis.Redis.from_url(app.conf.broker_url, decode_responses=True)
    message = _queued_evaluation(broker, entry.retry_task_id)
    assert message is not None
    assert message["headers"]["task"] == "interviews.tasks.evaluate_interview"


def test_beat_schedule__runs_the_sweep_every_5_minutes_expiring_before_the_next() -> None:
    ensure_migration_rows("interviews", "0003_stuck_sweep_schedule", "schedule")
    task = PeriodicTask.objects.get(task="interviews.tasks.sweep_stuck")
    assert (task.interval.every, task.interval.period) == (5, "minutes")
    assert task.expire_seconds is not None
    assert task.expire_seconds < 300
    assert task.queue == "maintenance"


def _pending_untouched_for(age: timedelta, *, claimed_before: bool = False) -> Evaluation:
    interview = run_to_completion(make_interview(question_count=1).interview.pk)
    evaluation = Evaluation.objects.get(interview=interview)
    then = timezone.now() - age
    Evaluation.objects.filter(pk=evaluation.pk).update(
        status=EvaluationStatus.PENDING,
        created_at=then,
        started_at=then if claimed_before else None,
    )
    return evaluation


def test_sweep__sends_again_only_pending_evaluations_nobody_claimed_for_too_long(
    settings: Any, django_capture_on_commit_callbacks
) -> None:
    settings.EVALUATION_PENDING_RESEND_MINUTES = 30
    lost = _pending_untouched_for(timedelta(minutes=31))
    released_long_ago = _pending_untouched_for(timedelta(minutes=45), claimed_before=True)
    fresh = _pending_untouched_for(timedelta(minutes=5))
    waiting_retry = _pending_untouched_for(timedelta(minutes=5), claimed_before=True)

    dry = stuck_sweep(dry_run=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = stuck_sweep()

    expected = sorted([lost.pk, released_long_ago.pk])
    assert sorted(dry.evaluations_resent) == sorted(report.evaluations_resent) == expected
    assert fresh.pk not in report.evaluations_resent
    assert waiting_retry.pk not in report.evaluations_resent
    assert len(callbacks) == 2  # one task sent per lost evaluation, after commit
    assert SweepRun.objects.filter(dry_run=False).get().evaluations_requeued == 2


def test_enqueue_on_commit__a_broker_that_refuses_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks
) -> None:
    from celery import Celery

    from interviews.services.effects import enqueue_on_commit
    from tests.e2e.stack import free_port

    # Not the current app: shared tasks of later tests must keep publishing to the real broker.
    unreachable = Celery(
        "unreachable", broker=f"redis://127.0.0.1:{free_port()}/0", set_as_current=False
    )
    unreachable.conf.task_publish_retry_policy = {"max_retries": 0}
    unreachable.conf.broker_connection_timeout = 1

    @unreachable.task(name="probe.never_sent")
    def never_sent(interview_id: int) -> None:
        raise AssertionError("not reached")

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(never_sent, interview_id=7)

    record = next(r for r in caplog.records if r.name == "interviews.services.effects")
    assert record.levelname == "ERROR"
    assert "could not enqueue probe.never_sent {'interview_id': 7}" in record.getMessage()
