"""Checking an evaluation before it is stored, whoever wrote it (an LLM or the heuristic).

The provider's reply has already passed the schema (interviews/llm/schemas.py); what the schema
cannot know is the transcript. Here every evidence quote is checked against the candidate's own
words (a quote that is not there verbatim is dropped and counted), every answer is checked for
being empty, gibberish, off-topic or a request for a score (a flagged answer's score is capped,
and the overall score and recommendation with it), and questions the gateway had to fall back
for are marked. Nothing here trusts the model: it is the last line of defence against a model
that was talked into a score or invented its evidence.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import mean

from interviews.llm.base import AnsweredQuestion, EvaluationResult
from interviews.llm.offline import METHOD as HEURISTIC_METHOD
from interviews.llm.offline import answer_flag
from interviews.models import Recommendation, TurnSource

REPORT_SCHEMA = 1
# The highest score a question may keep once its answer is flagged. "1 = no substantive answer"
# for blank and keyboard-mash answers; off-topic and score requests may still hold a little
# substance, so they keep at most "weak".
FLAG_CAPS = {"empty": 1, "gibberish": 1, "off_topic": 2, "score_request": 2}
FLAG_LABELS = {
    "empty": "blank or too short to assess",
    "gibberish": "does not read as language",
    "off_topic": "does not address the question or its topic",
    "score_request": "asks the evaluator for a score",
}
# Questions served because no provider could write one: the candidate got a generic question.
FALLBACK_SOURCES = frozenset({TurnSource.FALLBACK, TurnSource.CACHE})
# Overall score -> the best recommendation it can support (the same bands as the heuristic).
THRESHOLDS: tuple[tuple[float, str], ...] = (
    (4.2, Recommendation.STRONG_HIRE),
    (3.4, Recommendation.HIRE),
    (2.4, Recommendation.LEAN_NO),
)
RANK = {r: i for i, r in enumerate(("no_hire", "lean_no", "hire", "strong_hire"))}

# A request aimed at whoever scores the answer: "give me 10/10", "rate this answer 5 out of 5",
# "award me full marks". Asking earns nothing (the prompt says so); this makes sure of it even
# if a model is swayed. A bare fraction needs a target ("me", "this answer") so that "the
# cache will give 3/4 of the hits" is not mistaken for one.
_VERB = r"\b(?:give|award|grant|assign|rate|score|mark|grade)\s+"
_TARGET = r"(?:me|us|this(?:\s+answer|\s+response)?|my\s+answers?|the\s+candidate)\s+"
_FILLER = r"(?:[\w']+\s+){0,3}?"
_FRACTION = r"\d+(?:\.\d+)?\s*(?:/|out\s+of)\s*\d+"
_EXPLICIT = (
    r"(?:full\s+marks|(?:top|highest|maximum|max|perfect|best)\s+(?:score|marks?|rating|grade)"
    r"|strong[\s_-]?hire)"
)
_SCORE_REQUEST = re.compile(
    rf"{_VERB}{_TARGET}{_FILLER}(?:{_FRACTION}|{_EXPLICIT})|{_VERB}{_FILLER}{_EXPLICIT}",
    re.IGNORECASE,
)


class EvaluationInvalid(Exception):
    """The provider's result does not fit the interview it is meant to evaluate."""


@dataclass(frozen=True)
class QuestionTranscript:
    """One main question as the candidate lived it."""

    index: int
    question: str
    rubric: tuple[str, ...]
    question_source: str  # TurnSource of the main question
    follow_up_sources: tuple[str, ...]  # TurnSource of each follow-up asked
    answers: tuple[str, ...]  # each answer as sent, so quotes are checked against real text

    def answered(self) -> AnsweredQuestion:
        return AnsweredQuestion(
            index=self.index,
            question=self.question,
            rubric=self.rubric,
            answer="\n\n".join(self.answers),
            question_source=self.question_source,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class CheckedEvaluation:
    method: str
    confidence: float
    overall_score: Decimal
    recommendation: str
    report: dict[str, object]


def asks_for_score(text: str) -> bool:
    return bool(_SCORE_REQUEST.search(text))


def answer_flags(*, question: QuestionTranscript, topic: str) -> tuple[str, ...]:
    """The server's own flags for an answer, independent of what the provider said."""
    flags = []
    if flag := answer_flag(question.answered(), topic=topic):
        flags.append(flag)
    if asks_for_score(" ".join(question.answers)):
        flags.append("score_request")
    return tuple(flags)


def verified_quotes(quotes: Sequence[str], answers: Sequence[str]) -> tuple[list[str], int]:
    """The quotes found verbatim in one of `answers` (duplicates once), and how many were not.

    Each answer is searched on its own: a "quote" stitched across two answers was never said.
    """
    kept: list[str] = []
    dropped = 0
    for quote in quotes:
        if quote.strip() and any(quote in answer for answer in answers):
            if quote not in kept:
                kept.append(quote)
        else:
            dropped += 1
    return kept, dropped


def recommendation_for(score: float) -> str:
    return next((r for t, r in THRESHOLDS if score >= t), Recommendation.NO_HIRE)


def _validate(result: EvaluationResult, transcript: Sequence[QuestionTranscript]) -> None:
    if not 1 <= result.overall_score <= 5:
        raise EvaluationInvalid(f"overall_score {result.overall_score} outside 1..5")
    if result.recommendation not in Recommendation.values:
        raise EvaluationInvalid(f"unknown recommendation {result.recommendation!r}")
    for q in result.questions:
        if not 1 <= q.score <= 5:
            raise EvaluationInvalid(f"question {q.index} score {q.score} outside 1..5")
    scored = sorted(q.index for q in result.questions)
    expected = sorted(t.index for t in transcript)
    if scored != expected:
        raise EvaluationInvalid(f"questions scored {scored}, expected each of {expected} once")


def evaluation_check(
    *, result: EvaluationResult, transcript: Sequence[QuestionTranscript], topic: str
) -> CheckedEvaluation:
    """Validate `result` against the transcript and build the report that is stored."""
    _validate(result, transcript)
    by_index = {t.index: t for t in transcript}
    questions: list[dict[str, object]] = []
    scores: list[int] = []
    dropped_total = 0
    for q in sorted(result.questions, key=lambda q: q.index):
        source = by_index[q.index]
        evidence, dropped = verified_quotes(q.evidence, source.answers)
        dropped_total += dropped
        flags = tuple(dict.fromkeys((*q.flags, *answer_flags(question=source, topic=topic))))
        cap = min((FLAG_CAPS.get(f, 5) for f in flags), default=5)
        fallback = source.question_source in FALLBACK_SOURCES
        scores.append(min(q.score, cap))
        questions.append(
            {
                "index": q.index,
                "question": source.question,
                "score": scores[-1],
                "provider_score": q.score,
                "capped": q.score > cap,
                "rationale": q.rationale,
                "evidence": evidence,
                "dropped_quotes": dropped,
                "flags": list(flags),
                "question_source": source.question_source,
                "follow_up_sources": list(source.follow_up_sources),
                "fallback": fallback,
            }
        )

    overall = result.overall_score
    recommendation: str = result.recommendation
    capped = any(q["capped"] for q in questions)
    if capped:
        # The provider's overall was built on the scores it gave; it may not exceed the
        # capped ones, and the recommendation may not be better than that overall supports.
        overall = min(overall, mean(scores))
        floor = recommendation_for(overall)
        recommendation = min(recommendation, floor, key=RANK.__getitem__)
    report: dict[str, object] = {
        "schema": REPORT_SCHEMA,
        "method": result.method,
        "heuristic": result.method == HEURISTIC_METHOD,
        "confidence": result.confidence,
        "questions": questions,
        "strengths": list(result.strengths),
        "concerns": list(result.concerns),
        "dropped_quotes": dropped_total,
        "flagged_questions": [q["index"] for q in questions if q["flags"]],
        "fallback_questions": [q["index"] for q in questions if q["fallback"]],
        "provider_overall_score": result.overall_score,
        "provider_recommendation": result.recommendation,
        "capped": capped,
        "details": result.details,
    }
    return CheckedEvaluation(
        method=result.method,
        confidence=result.confidence,
        overall_score=Decimal(str(overall)).quantize(Decimal("0.01")),
        recommendation=recommendation,
        report=report,
    )
