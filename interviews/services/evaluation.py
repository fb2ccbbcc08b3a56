"""Turning a finished transcript into an evidence-backed evaluation, exactly once.

One Evaluation row per interview (a OneToOne in the database), so a duplicated or redelivered
task can never create a second one. A run first *claims* the row (compare-and-set under a row
lock: pending/error → running, `attempts` + 1), calls the provider outside any transaction, then
writes the whole result in one transaction, and only if its claim still holds (status running
with the same `attempts`). So:

- a duplicate that arrives while another worker holds a fresh claim does nothing;
- a run that was overtaken (the stuck sweep or a staff re-run reset the row, a newer run
  claimed it) throws its result away instead of overwriting a newer one;
- nothing is ever half-written: either the full report and score land together, or none of it.

A claim older than the task's hard time limit cannot belong to a live worker (Celery kills it at
that limit), so it may be taken over: a crashed worker never blocks its redelivered task.
"""

import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from interviews import rows
from interviews.conf import interviews_settings
from interviews.llm.base import AnsweredQuestion
from interviews.llm.gateway import get_interviewer
from interviews.models import Evaluation, EvaluationStatus, Interview, TurnKind
from interviews.services.coding_evaluation import coding_merge, coding_scores
from interviews.services.decisions import evaluation_rerun_audit
from interviews.services.effects import enqueue_on_commit
from interviews.services.evidence import (
    CheckedEvaluation,
    EvaluationInvalid,
    QuestionTranscript,
    evaluation_check,
)

logger = logging.getLogger(__name__)

__all__ = [
    "EvaluationInvalid",
    "EvaluationRerunRefused",
    "evaluation_fail",
    "evaluation_request",
    "evaluation_rerun",
    "evaluation_run",
    "interview_answered_questions",
    "interview_transcript",
]

# A run never touches a finished evaluation. `incomplete` (and `error`) are not finished: a task
# that reaches one was sent on purpose, by a retry from the dead-letter queue or the stuck
# sweep's requeue, to try again; no automatic path sends one after a terminal failure.
FINAL_STATUSES = (EvaluationStatus.DONE,)


class EvaluationRerunRefused(Exception):
    """A re-run cannot start now; the message says why, in words for staff."""


def _claim_ttl() -> timedelta:
    return timedelta(seconds=interviews_settings().celery_task_time_limit)


def evaluation_is_running(evaluation: Evaluation) -> bool:
    """Whether a worker may still be working on it (a claim younger than the time limit)."""
    return (
        evaluation.status == EvaluationStatus.RUNNING
        and evaluation.started_at is not None
        and evaluation.started_at > timezone.now() - _claim_ttl()
    )


def evaluation_request(*, interview: Interview) -> bool:
    """Create the pending evaluation (once) and enqueue its task after commit; returns whether
    this call created it. One INSERT that the one-per-interview constraint turns into a no-op
    where the row exists: every interview's end runs it, on the answer path."""
    from interviews.tasks import evaluate_interview  # tasks import services: import late

    created = rows.insert_absent(Evaluation(interview=interview), "interview")
    if created:
        enqueue_on_commit(evaluate_interview, interview_id=interview.pk)
    return created


def interview_transcript(*, interview: Interview) -> tuple[QuestionTranscript, ...]:
    """Each main question with its rubric, where it came from, and the answers to it."""
    questions: dict[int, tuple[str, tuple[str, ...], str]] = {}
    follow_ups: dict[int, list[str]] = defaultdict(list)
    answers: dict[int, list[str]] = defaultdict(list)
    seqs: dict[int, list[int]] = defaultdict(list)
    for turn in interview.turns.order_by("seq"):
        if turn.kind == TurnKind.QUESTION:
            rubric = tuple(turn.meta.get("rubric", ()))
            questions[turn.question_index] = (turn.text, rubric, turn.source or "offline")
        elif turn.kind == TurnKind.FOLLOW_UP:
            follow_ups[turn.question_index].append(turn.source or "offline")
        elif turn.kind == TurnKind.ANSWER:
            answers[turn.question_index].append(turn.text)
            seqs[turn.question_index].append(turn.seq)
    return tuple(
        QuestionTranscript(
            index=i,
            question=text,
            rubric=rubric,
            question_source=source,
            follow_up_sources=tuple(follow_ups[i]),
            answers=tuple(answers[i]),
            answer_seqs=tuple(seqs[i]),
        )
        for i, (text, rubric, source) in sorted(questions.items())
    )


def interview_answered_questions(*, interview: Interview) -> tuple[AnsweredQuestion, ...]:
    """Each main question with the candidate's answers to it and to its follow-up joined."""
    return tuple(q.answered() for q in interview_transcript(interview=interview))


def _claim(interview: Interview) -> tuple[Evaluation, bool]:
    """The evaluation, and whether this run now owns it."""
    with transaction.atomic():
        evaluation, _ = Evaluation.objects.select_for_update().get_or_create(interview=interview)
        if evaluation.status in FINAL_STATUSES or evaluation_is_running(evaluation):
            return evaluation, False
        evaluation.status = EvaluationStatus.RUNNING
        evaluation.attempts += 1
        evaluation.started_at = timezone.now()
        evaluation.save(update_fields=["status", "attempts", "started_at"])
    return evaluation, True


def _owned(evaluation_id: int, attempt: int) -> Evaluation | None:
    """The locked row if the claim numbered `attempt` still holds it, else None."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation_id)
    if evaluation.status == EvaluationStatus.RUNNING and evaluation.attempts == attempt:
        return evaluation
    return None


def _release(evaluation_id: int, attempt: int, reason: str) -> None:
    """Hand a failed attempt's claim back (pending), so the retry can take it at once."""
    with transaction.atomic():
        evaluation = _owned(evaluation_id, attempt)
        if evaluation is not None:
            evaluation.status = EvaluationStatus.PENDING
            evaluation.reason = reason[:2000]
            evaluation.save(update_fields=["status", "reason"])


def _store(evaluation_id: int, attempt: int, checked: CheckedEvaluation) -> Evaluation | None:
    with transaction.atomic():
        evaluation = _owned(evaluation_id, attempt)
        if evaluation is None:
            return None
        evaluation.status = EvaluationStatus.DONE
        evaluation.method = checked.method
        evaluation.confidence = checked.confidence
        evaluation.overall_score = checked.overall_score
        evaluation.recommendation = checked.recommendation
        evaluation.report = checked.report
        evaluation.reason = ""
        evaluation.finished_at = timezone.now()
        evaluation.save()
    return evaluation


def evaluation_run(*, interview_id: int) -> Evaluation:
    """Evaluate the interview unless it is evaluated or being evaluated; raise on failure.

    On failure the claim is released (status pending, the error in `reason`) and the exception
    propagates, so the task can retry; the task decides when to give up (evaluation_fail).
    """
    interview = Interview.objects.get(pk=interview_id)
    evaluation, claimed = _claim(interview)
    if not claimed:
        logger.info(
            "evaluation of interview %s is %s; nothing to do", interview_id, evaluation.status
        )
        return evaluation
    attempt = evaluation.attempts
    try:
        transcript = interview_transcript(interview=interview)
        # Coding questions are scored by their tests, the same on every provider; the
        # provider scores the discussion questions.
        coding = coding_scores(interview=interview, transcript=transcript)
        discussion = tuple(q for q in transcript if q.index not in coding)
        checked = None
        if discussion or not coding:
            result = get_interviewer().evaluate(
                role=interview.role,
                topic=interview.topic,
                difficulty=interview.difficulty,
                answers=tuple(q.answered() for q in discussion),
            )
            checked = evaluation_check(result=result, transcript=discussion, topic=interview.topic)
        if coding:
            checked = coding_merge(checked, coding, transcript)
        assert checked is not None
    except Exception as exc:
        # Not swallowed: re-raised below for the task to retry; only the claim is handed back.
        _release(evaluation.pk, attempt, f"Attempt {attempt} failed: {type(exc).__name__}: {exc}")
        raise
    stored = _store(evaluation.pk, attempt, checked)
    if stored is None:
        logger.warning(
            "evaluation of interview %s: attempt %s was overtaken; its result is discarded",
            interview_id,
            attempt,
        )
        return Evaluation.objects.get(pk=evaluation.pk)
    logger.info(
        "evaluation of interview %s done: %s (%s)",
        interview_id,
        stored.overall_score,
        stored.method,
    )
    return stored


def evaluation_fail(*, interview_id: int, reason: str) -> Evaluation:
    """Terminal failure: incomplete, with the reason and never a score.

    A done evaluation stays done, and one another worker is running is left to that worker.
    """
    with transaction.atomic():
        evaluation, _ = Evaluation.objects.select_for_update().get_or_create(
            interview_id=interview_id
        )
        if evaluation.status == EvaluationStatus.DONE or evaluation_is_running(evaluation):
            return evaluation
        evaluation.status = EvaluationStatus.INCOMPLETE
        evaluation.overall_score = None
        evaluation.recommendation = ""
        evaluation.reason = reason[:2000]
        evaluation.finished_at = timezone.now()
        evaluation.save()
    logger.warning("evaluation of interview %s incomplete: %s", interview_id, reason)
    return evaluation


def evaluation_rerun(*, interview: Interview, actor: Any = None) -> Evaluation:
    """Staff asked for a fresh evaluation: reset it to pending and enqueue the task.

    The audit trail keeps who asked and the result the re-run replaces; decisions are separate
    rows and are not touched.

    Refused while a worker holds a live claim (its result would race this one). `attempts` is
    kept, not reset: it numbers the claims, so a run from before the re-run can never match
    and overwrite the new result.
    """
    from interviews.tasks import evaluate_interview  # tasks import services: import late

    if not interview.is_finished:
        raise EvaluationRerunRefused("the interview has not finished yet")
    if not interview.turns.filter(kind=TurnKind.ANSWER).exists():
        raise EvaluationRerunRefused("the candidate gave no answers; there is nothing to evaluate")
    with transaction.atomic():
        evaluation, created = Evaluation.objects.select_for_update().get_or_create(
            interview=interview
        )
        if evaluation_is_running(evaluation):
            raise EvaluationRerunRefused("an evaluation is running now; try again when it ends")
        evaluation_rerun_audit(
            evaluation=None if created else evaluation, actor=actor, interview=interview
        )
        evaluation.status = EvaluationStatus.PENDING
        evaluation.method = ""
        evaluation.confidence = None
        evaluation.overall_score = None
        evaluation.recommendation = ""
        evaluation.report = {}
        evaluation.reason = ""
        evaluation.started_at = None
        evaluation.finished_at = None
        evaluation.auto_requeued_at = None
        evaluation.save()
        enqueue_on_commit(evaluate_interview, interview_id=interview.pk)
    logger.info("evaluation of interview %s re-run requested", interview.pk)
    return evaluation
