from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from interviews.llm.base import AnsweredQuestion, EvaluationResult, QuestionScore
from interviews.models import Evaluation, EvaluationStatus, Interview
from interviews.services.evaluation import _report, evaluation_fail, evaluation_run
from tests.factories import STRONG_ANSWER, make_interview, run_to_completion

pytestmark = pytest.mark.django_db


def _completed(answers: int, text: str = STRONG_ANSWER) -> Interview:
    return run_to_completion(make_interview(question_count=answers).interview.pk, text)


def test_evaluation_run__produces_a_labelled_heuristic_report() -> None:
    interview = _completed(2)
    evaluation = evaluation_run(interview_id=interview.pk)
    assert evaluation.status == EvaluationStatus.DONE
    assert evaluation.method == "offline-heuristic"
    assert evaluation.report["heuristic"] is True
    assert evaluation.confidence is not None
    assert 0 < evaluation.confidence < 1
    assert evaluation.overall_score is not None
    assert 1 <= evaluation.overall_score <= 5
    assert len(evaluation.report["questions"]) == 2
    answers = " ".join(interview.turns.filter(kind="answer").values_list("text", flat=True))
    for question in evaluation.report["questions"]:
        for quote in question["evidence"]:
            assert quote in answers


def test_evaluation_run_twice__keeps_one_row_and_the_first_result() -> None:
    interview = _completed(1)
    first = evaluation_run(interview_id=interview.pk)
    second = evaluation_run(interview_id=interview.pk)
    assert Evaluation.objects.filter(interview=interview).count() == 1
    assert second.pk == first.pk
    assert second.attempts == first.attempts == 1


def test_gibberish_transcript__scores_low() -> None:
    interview = _completed(1, "asdf jkl qwer zxcv asdf")
    evaluation = evaluation_run(interview_id=interview.pk)
    assert evaluation.overall_score is not None
    assert evaluation.overall_score <= 2
    assert evaluation.recommendation == "no_hire"


def test_evaluation_fail__is_incomplete_with_reason_and_no_score() -> None:
    interview = _completed(1)
    evaluation = evaluation_fail(interview_id=interview.pk, reason="provider down")
    assert evaluation.status == EvaluationStatus.INCOMPLETE
    assert evaluation.overall_score is None
    assert evaluation.recommendation == ""
    assert evaluation.reason == "provider down"


def test_database__refuses_a_score_on_an_evaluation_that_is_not_done() -> None:
    interview = _completed(1)
    evaluation = evaluation_fail(interview_id=interview.pk, reason="x")
    evaluation.overall_score = Decimal("4.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        evaluation.save()


def test_report__drops_quotes_that_are_not_verbatim_in_the_answers() -> None:
    answered = (AnsweredQuestion(index=1, question="Q?", rubric=("x",), answer="I used Redis."),)
    result = EvaluationResult(
        method="llm:test",
        overall_score=3.0,
        recommendation="hire",
        questions=(
            QuestionScore(
                index=1,
                score=3,
                rationale="ok",
                evidence=("I used Redis.", "I am an expert in everything"),
            ),
        ),
    )
    report = _report(result, answered)
    assert report["questions"][0]["evidence"] == ["I used Redis."]  # type: ignore[index]
    assert report["dropped_quotes"] == 1
