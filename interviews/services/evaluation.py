"""Turning a finished transcript into an evidence-backed evaluation.

One Evaluation row per interview (a OneToOne in the database), so a duplicated or redelivered
task can never create a second one; a run that finds the evaluation finished does nothing.
The provider is called outside any transaction; its result is validated before it is stored,
and evidence quotes that are not verbatim in the candidate's answers are dropped and counted.
"""

import logging
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from interviews.llm.base import AnsweredQuestion, EvaluationResult
from interviews.llm.gateway import get_interviewer
from interviews.models import (
    Evaluation,
    EvaluationStatus,
    Interview,
    Recommendation,
    TurnKind,
    TurnSource,
)
from interviews.services.effects import enqueue_on_commit

logger = logging.getLogger(__name__)

FINAL_STATUSES = (EvaluationStatus.DONE, EvaluationStatus.INCOMPLETE)


class EvaluationInvalid(Exception):
    """The provider's result does not satisfy the report schema."""


def evaluation_request(*, interview: Interview) -> Evaluation:
    """Create the pending evaluation (once) and enqueue its task after commit."""
    from interviews.tasks import evaluate_interview

    evaluation, created = Evaluation.objects.get_or_create(interview=interview)
    if created:
        enqueue_on_commit(evaluate_interview, interview_id=interview.pk)
    return evaluation


def interview_answered_questions(*, interview: Interview) -> tuple[AnsweredQuestion, ...]:
    """Each main question with the candidate's answers to it and to its follow-up joined."""
    questions: dict[int, AnsweredQuestion] = {}
    answers: dict[int, list[str]] = defaultdict(list)
    for turn in interview.turns.order_by("seq"):
        if turn.kind == TurnKind.QUESTION:
            questions[turn.question_index] = AnsweredQuestion(
                index=turn.question_index,
                question=turn.text,
                rubric=tuple(turn.meta.get("rubric", ())),
                answer="",
                question_source=turn.source or "offline",  # type: ignore[arg-type]
            )
        elif turn.kind == TurnKind.ANSWER:
            answers[turn.question_index].append(turn.text)
    return tuple(
        AnsweredQuestion(
            index=q.index,
            question=q.question,
            rubric=q.rubric,
            answer="\n\n".join(answers[i]),
            question_source=q.question_source,
        )
        for i, q in sorted(questions.items())
    )


def _report(result: EvaluationResult, answered: tuple[AnsweredQuestion, ...]) -> dict[str, object]:
    """Validate the provider's result and build the stored report."""
    if not 1 <= result.overall_score <= 5:
        raise EvaluationInvalid(f"overall_score {result.overall_score} outside 1..5")
    if result.recommendation not in Recommendation.values:
        raise EvaluationInvalid(f"unknown recommendation {result.recommendation!r}")
    by_index = {a.index: a for a in answered}
    dropped = 0
    questions = []
    for q in result.questions:
        source = by_index.get(q.index)
        if source is None:
            raise EvaluationInvalid(f"score for unknown question {q.index}")
        if not 1 <= q.score <= 5:
            raise EvaluationInvalid(f"question {q.index} score {q.score} outside 1..5")
        evidence = [quote for quote in q.evidence if quote.strip() and quote in source.answer]
        dropped += len(q.evidence) - len(evidence)
        questions.append(
            {
                "index": q.index,
                "question": source.question,
                "score": q.score,
                "rationale": q.rationale,
                "evidence": evidence,
                "flags": list(q.flags),
                "question_source": source.question_source,
                "fallback": source.question_source in (TurnSource.FALLBACK, TurnSource.CACHE),
            }
        )
    return {
        "questions": questions,
        "strengths": list(result.strengths),
        "concerns": list(result.concerns),
        "dropped_quotes": dropped,
        "heuristic": result.method == "offline-heuristic",
        "details": result.details,
    }


def evaluation_run(*, interview_id: int) -> Evaluation:
    with transaction.atomic():
        interview = Interview.objects.select_for_update().get(pk=interview_id)
        evaluation, _ = Evaluation.objects.get_or_create(interview=interview)
        if evaluation.status in FINAL_STATUSES:
            return evaluation
        evaluation.status = EvaluationStatus.RUNNING
        evaluation.attempts += 1
        evaluation.started_at = timezone.now()
        evaluation.save(update_fields=["status", "attempts", "started_at"])

    answered = interview_answered_questions(interview=interview)
    result = get_interviewer().evaluate(
        role=interview.role,
        topic=interview.topic,
        difficulty=interview.difficulty,
        answers=answered,
    )
    report = _report(result, answered)

    with transaction.atomic():
        evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if evaluation.status in FINAL_STATUSES:
            return evaluation  # a duplicate run finished first
        evaluation.status = EvaluationStatus.DONE
        evaluation.method = result.method
        evaluation.confidence = result.confidence
        evaluation.overall_score = Decimal(str(result.overall_score)).quantize(Decimal("0.01"))
        evaluation.recommendation = result.recommendation
        evaluation.report = report
        evaluation.reason = ""
        evaluation.finished_at = timezone.now()
        evaluation.save()
    logger.info(
        "evaluation of interview %s done: %s (%s)",
        interview_id,
        evaluation.overall_score,
        evaluation.method,
    )
    return evaluation


def evaluation_fail(*, interview_id: int, reason: str) -> Evaluation:
    """Terminal failure: incomplete, with the reason and never a score."""
    with transaction.atomic():
        evaluation, _ = Evaluation.objects.select_for_update().get_or_create(
            interview_id=interview_id
        )
        if evaluation.status == EvaluationStatus.DONE:
            return evaluation
        evaluation.status = EvaluationStatus.INCOMPLETE
        evaluation.overall_score = None
        evaluation.recommendation = ""
        evaluation.reason = reason[:2000]
        evaluation.finished_at = timezone.now()
        evaluation.save()
    logger.warning("evaluation of interview %s incomplete: %s", interview_id, reason)
    return evaluation
