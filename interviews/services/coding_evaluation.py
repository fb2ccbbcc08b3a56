"""Coding answers in the evaluation: scored by their tests, the same way on every provider.

A coding question's score comes from the tests its final submission (the last `submit`) ran:
the pass rate, with the failed tests quoted as evidence the way an answer's sentences are
(`{"text", "turn"}`, linking to the answer turn that holds the code). The answer flags still run
on the code (interviews/services/answer_flags.py), but only those that mean something for code:
a comment addressed to the evaluator is gaming in code as in prose, while the prose measures
(gibberish, keyword lists, echoes) would misread any program. One flag is the tests' own:
code that passes every visible example and no hidden test was fitted to the examples.

Untested code is never scored, passing or failing: a final submission the engine has not run
(queued, or `not_run` while the engine is down) leaves its question `not_run` with no score, and
once the tests have run the evaluation is run again (`coding_evaluations_refresh`).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import mean
from typing import Any

from django.db.models import F

from interviews.llm.schemas import recommendation_for
from interviews.models import (
    Evaluation,
    EvaluationStatus,
    Interview,
    Recommendation,
    Submission,
    SubmissionStatus,
    Turn,
    TurnKind,
)
from interviews.selectors_code import interview_coding_answers
from interviews.services.answer_flags import FLAG_LABELS, GAMING_FLAGS, answer_flags, flag_cap
from interviews.services.evidence import RANK, CheckedEvaluation, QuestionTranscript

logger = logging.getLogger(__name__)

FITTED_FLAG = "fits_examples_only"
# The answer flags that read code as well as prose: text addressed to the evaluator.
CODE_TEXT_FLAGS = frozenset({"instructions", "result_json", "score_request"})
METHOD_TESTS_ONLY = "tests"  # an interview of coding questions only: no provider is asked
MAX_FAILED_QUOTED = 5


@dataclass(frozen=True)
class CodingScore:
    """A coding question as the evaluation reports it."""

    index: int
    status: str  # the final run's status, "not_run", or "not_submitted"
    score: int | None  # None: not run, so not scored
    rationale: str
    evidence: tuple[dict[str, Any], ...] = ()
    flags: tuple[tuple[str, str], ...] = ()  # (code, reason)
    details: dict[str, Any] = field(default_factory=dict)


def pass_rate_score(passed: int, total: int) -> int:
    """1..5 from the share of tests passed: all of them is a 5, none a 1."""
    if total == 0 or passed == 0:
        return 1
    if passed == total:
        return 5
    rate = passed / total
    return 4 if rate >= 0.8 else 3 if rate >= 0.5 else 2


def _answer_seq(interview: Interview, submission: Submission) -> int | None:
    turn = Turn.objects.filter(
        interview=interview, kind=TurnKind.ANSWER, client_msg_id=submission.client_id
    ).first()
    return turn.seq if turn else None


def _score(
    interview: Interview, source: QuestionTranscript, final: Submission | None, topic: str
) -> CodingScore:
    if final is None:
        return CodingScore(source.index, "not_submitted", 1, "No code was submitted.")
    details = {
        "submission": final.pk,
        "language": final.language,
        "code": final.code,
        "status": final.status,
    }
    if final.status != SubmissionStatus.DONE:
        why = "Not run: the tests could not run yet, so the code is not scored."
        return CodingScore(source.index, "not_run", None, why, details=details)
    turn = _answer_seq(interview, final)
    tests = list(final.tests.all())
    visible = [t for t in tests if not t.hidden]
    summary = (
        f"Passed {final.passed} of {final.total} tests: visible {sum(t.passed for t in visible)} "
        f"of {len(visible)}, hidden {final.hidden_passed} of {final.hidden_total}"
        + (f" ({final.run_status}: {final.message})" if final.message else "")
        + "."
    )
    evidence = [{"text": summary, "turn": turn}]
    for t in [t for t in tests if not t.passed][:MAX_FAILED_QUOTED]:
        name = "a hidden test" if t.hidden else f"“{t.name}”"
        evidence.append({"text": f"Failed {name}: {t.error or 'no result'}", "turn": turn})
    flags = [
        (f.code, f.reason)
        for f in answer_flags(question=source.answered(), answers=source.answers, topic=topic)
        if f.code in CODE_TEXT_FLAGS
    ]
    if (
        visible
        and all(t.passed for t in visible)
        and final.hidden_total
        and not final.hidden_passed
    ):
        flags.append(
            (
                FITTED_FLAG,
                f"passes all {len(visible)} visible examples and none of the "
                f"{final.hidden_total} hidden tests",
            )
        )
    score = min(pass_rate_score(final.passed, final.total), flag_cap([c for c, _ in flags]))
    details |= {
        "run_status": final.run_status,
        "passed": final.passed,
        "total": final.total,
        "hidden_passed": final.hidden_passed,
        "hidden_total": final.hidden_total,
    }
    return CodingScore(
        source.index, final.run_status, score, summary, tuple(evidence), tuple(flags), details
    )


def coding_scores(
    *, interview: Interview, transcript: Sequence[QuestionTranscript]
) -> dict[int, CodingScore]:
    """Question index → its coding score, for the interview's coding questions."""
    coding_turns = set(
        interview.turns.filter(kind=TurnKind.QUESTION, meta__has_key="coding").values_list(
            "question_index", flat=True
        )
    )
    answers = interview_coding_answers(interview=interview)
    return {
        q.index: _score(
            interview, q, answers[q.index].final if q.index in answers else None, interview.topic
        )
        for q in transcript
        if q.index in coding_turns
    }


def coding_merge(
    checked: CheckedEvaluation | None,
    scores: dict[int, CodingScore],
    transcript: Sequence[QuestionTranscript],
) -> CheckedEvaluation:
    """The provider's checked evaluation of the discussion questions (None: there were none)
    with the coding questions added, and the overall score and recommendation over both."""
    report: dict[str, Any] = dict(checked.report) if checked else _empty_report()
    by_index = {t.index: t for t in transcript}
    entries = [_entry(s, by_index[s.index]) for s in scores.values()]
    questions = sorted([*report["questions"], *entries], key=lambda q: q["index"])
    discussion = [q["score"] for q in report["questions"]]
    coded = [s.score for s in scores.values() if s.score is not None]
    if not discussion and not coded:
        raise CodeNotTested("no question can be scored until the code has been tested")
    overall = round(mean([*discussion, *coded]), 2)
    gamed = bool(report.get("gaming")) or any(
        c in GAMING_FLAGS for s in scores.values() for c, _ in s.flags
    )
    recommendation = checked.recommendation if checked else Recommendation.NEEDS_REVIEW
    if recommendation in RANK:
        recommendation = min(recommendation, recommendation_for(overall), key=RANK.__getitem__)
        if gamed:
            recommendation = min(recommendation, Recommendation.LEAN_NO, key=RANK.__getitem__)
    report |= {
        "questions": questions,
        "flagged_questions": [q["index"] for q in questions if q["flags"]],
        "coding_questions": sorted(scores),
        "coding_not_run": sorted(i for i, s in scores.items() if s.score is None),
        "gaming": gamed,
    }
    return CheckedEvaluation(
        method=checked.method if checked else METHOD_TESTS_ONLY,
        confidence=checked.confidence if checked else 1.0,
        overall_score=Decimal(str(overall)).quantize(Decimal("0.01")),
        recommendation=recommendation,
        report=report,
    )


class CodeNotTested(Exception):
    """Nothing in the interview can be scored before its code is tested: try again later."""


def _entry(score: CodingScore, source: QuestionTranscript) -> dict[str, Any]:
    return {
        "index": score.index,
        "question": source.question,
        "score": score.score,
        "provider_score": score.score,
        "capped": False,
        "rationale": score.rationale,
        "evidence": list(score.evidence),
        "rubric": [],
        "dropped_quotes": 0,
        "flags": [c for c, _ in score.flags],
        "flag_reasons": [
            {"flag": c, "label": FLAG_LABELS.get(c, c), "reason": r} for c, r in score.flags
        ],
        "answer_turns": list(source.answer_seqs),
        "question_source": source.question_source,
        "follow_up_sources": list(source.follow_up_sources),
        "fallback": False,
        "coding": {"status": score.status, **score.details},
    }


def _empty_report() -> dict[str, Any]:
    return {
        "schema": 2, "method": METHOD_TESTS_ONLY, "heuristic": False, "advisory": True,
        "confidence": 1.0, "questions": [], "strengths": [], "concerns": [],
        "dropped_quotes": 0, "fallback_questions": [], "capped": False, "gaming": False,
        "details": {},
    }  # fmt: skip


def coding_evaluations_refresh(*, interview_id: int | None = None) -> int:
    """Re-run the evaluations that reported code as not run whose tests have run since it
    started (by the test that finished, or the beat's sweep when that one was refused because
    an evaluation was running). How many were re-run."""
    from interviews.services.evaluation import EvaluationRerunRefused, evaluation_rerun

    evaluations = Evaluation.objects.filter(
        status=EvaluationStatus.DONE,
        interview__submissions__status=SubmissionStatus.DONE,
        interview__submissions__finished_at__gte=F("started_at"),
    ).distinct()
    if interview_id is not None:
        evaluations = evaluations.filter(interview_id=interview_id)
    rerun = 0
    for evaluation in evaluations.select_related("interview")[:100]:
        if not evaluation.report.get("coding_not_run"):
            continue
        try:
            evaluation_rerun(interview=evaluation.interview, actor=None)
        except EvaluationRerunRefused as exc:
            logger.info("evaluation of %s not re-run yet: %s", evaluation.interview_id, exc)
            continue
        rerun += 1
    return rerun
