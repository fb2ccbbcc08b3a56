"""The clock the server keeps: a timed interview ends with reason `time_up` at its limit plus
the grace period whether or not a socket is open; an answer inside the grace period is kept,
one after it is refused and ends the interview; what was answered is evaluated."""

import uuid
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from interviews.admin.reports import render_report
from interviews.models import Evaluation, Interview, InterviewStatus, Turn, TurnKind
from interviews.selectors import (
    interview_deadline,
    interview_ending,
    interview_state,
    interview_time_over,
)
from interviews.services.evaluation import evaluation_run
from interviews.services.interviews import (
    AnswerRejected,
    interview_advance,
    interview_answer_submit,
    interview_start,
)
from interviews.services.journey import interviews_time_up_sweep
from interviews.tasks import complete_timed_out
from tests.factories import STRONG_ANSWER, make_interview
from tests.migration_rows import ensure_migration_rows

pytestmark = pytest.mark.django_db

LIMIT = 60
GRACE = 10


def _timed(*, elapsed: float, answered: int = 0, questions: int = 3) -> Interview:
    """A started interview with a LIMIT-second limit, `answered` questions answered, whose
    clock started `elapsed` seconds ago."""
    interview = make_interview(question_count=questions, time_limit_seconds=LIMIT).interview
    interview_start(interview_id=interview.pk)
    interview_advance(interview_id=interview.pk)
    for _ in range(answered):
        interview_answer_submit(
            interview_id=interview.pk, text=STRONG_ANSWER, client_msg_id=uuid.uuid4()
        )
        interview_advance(interview_id=interview.pk)
    started = timezone.now() - timedelta(seconds=elapsed)
    Interview.objects.filter(pk=interview.pk).update(started_at=started)
    return Interview.objects.get(pk=interview.pk)


def _answer(interview: Interview) -> Turn:
    return interview_answer_submit(
        interview_id=interview.pk, text=STRONG_ANSWER, client_msg_id=uuid.uuid4()
    ).answer


@override_settings(INTERVIEW_TIME_GRACE_SECONDS=GRACE)
def test_time_over__only_after_the_limit_and_its_grace_period() -> None:
    interview = _timed(elapsed=0)
    deadline = interview_deadline(interview=interview)
    assert deadline == interview.started_at + timedelta(seconds=LIMIT)  # type: ignore[operator]
    assert not interview_time_over(interview=interview, now=deadline - timedelta(seconds=1))
    assert not interview_time_over(interview=interview, now=deadline)
    assert not interview_time_over(interview=interview, now=deadline + timedelta(seconds=9.9))
    assert interview_time_over(interview=interview, now=deadline + timedelta(seconds=GRACE))


@override_settings(INTERVIEW_TIME_GRACE_SECONDS=GRACE)
def test_sweep__completes_time_up_with_no_socket__and_evaluates_what_was_answered(
    django_capture_on_commit_callbacks: object,
) -> None:
    over = _timed(elapsed=LIMIT + GRACE + 1, answered=1)
    in_grace = _timed(elapsed=LIMIT + GRACE - 3, answered=1)
    untimed = make_interview(question_count=2).interview
    interview_start(interview_id=untimed.pk)
    Interview.objects.filter(pk=untimed.pk).update(started_at=timezone.now() - timedelta(days=1))

    done = complete_timed_out()

    assert done == [over.pk]
    over.refresh_from_db()
    assert over.status == InterviewStatus.COMPLETED
    end = over.turns.get(kind=TurnKind.SYSTEM)
    assert end.meta == {"event": "completed", "reason": "time_up"}
    assert Evaluation.objects.filter(interview=over).exists(), "the answered question is evaluated"
    assert interview_ending(interview=over).time_up  # type: ignore[union-attr]
    assert interview_ending(interview=over).answered == 1  # type: ignore[union-attr]
    assert Interview.objects.get(pk=in_grace.pk).status == InterviewStatus.IN_PROGRESS
    assert Interview.objects.get(pk=untimed.pk).status == InterviewStatus.IN_PROGRESS
    assert interviews_time_up_sweep() == [], "a second run finds nothing left to do"


@override_settings(INTERVIEW_TIME_GRACE_SECONDS=GRACE)
def test_answer_in_the_grace_period__is_kept__and_nothing_new_is_asked() -> None:
    interview = _timed(elapsed=LIMIT + GRACE - 3)
    answer = _answer(interview)
    assert Turn.objects.filter(pk=answer.pk).exists()
    assert interview_advance(interview_id=interview.pk) == [], "no question in the grace period"
    Interview.objects.filter(pk=interview.pk).update(
        started_at=timezone.now() - timedelta(seconds=LIMIT + GRACE + 1)
    )
    [end] = interview_advance(interview_id=interview.pk)
    assert end.meta["reason"] == "time_up"
    assert interview_ending(interview=interview).answered == 1  # type: ignore[union-attr]


@override_settings(INTERVIEW_TIME_GRACE_SECONDS=GRACE)
def test_answer_after_the_grace_period__refused_as_time_up__and_the_interview_ends() -> None:
    interview = _timed(elapsed=LIMIT + GRACE + 1)
    with pytest.raises(AnswerRejected) as caught:
        _answer(interview)
    assert caught.value.code == "time_up"
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.COMPLETED
    assert not interview.turns.filter(kind=TurnKind.ANSWER).exists()
    assert interview.turns.get(kind=TurnKind.SYSTEM).meta["reason"] == "time_up"
    assert not Evaluation.objects.filter(interview=interview).exists(), "nothing to evaluate"


@override_settings(INTERVIEW_TIME_GRACE_SECONDS=GRACE)
def test_welcome_state__says_the_limit_the_grace_and_the_server_time_left() -> None:
    interview = _timed(elapsed=20)
    state = interview_state(interview=interview)
    assert state["time_limit"] == LIMIT
    assert state["grace_seconds"] == GRACE
    assert state["time_remaining"] in (40, 41)


def test_time_up_check__is_scheduled_on_beat_every_15_seconds() -> None:
    ensure_migration_rows("interviews", "0007_time_up_schedule", "schedule")
    task = PeriodicTask.objects.get(task="interviews.tasks.complete_timed_out")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (15, "seconds")
    assert task.queue == "maintenance"


@override_settings(INTERVIEW_TIME_GRACE_SECONDS=GRACE)
def test_report__says_time_ran_out_and_how_many_questions_were_answered() -> None:
    interview = _timed(elapsed=LIMIT + GRACE + 1, answered=1, questions=3)
    interviews_time_up_sweep()
    evaluation_run(interview_id=interview.pk)
    html = render_report(Evaluation.objects.get(interview=interview))
    assert 'data-reason="time_up"' in html
    assert "Time ran out" in html
    assert "1 of 3 questions answered" in html
