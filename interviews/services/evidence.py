"""Checking an evaluation before it is stored, whoever wrote it (an LLM or the heuristic).

The provider's reply has already passed the schema (interviews/llm/schemas.py); what the schema
cannot know is the transcript. Here every evidence quote is checked against the candidate's own
words (a quote that is not there verbatim is dropped and counted; one that is, is widened to the
whole sentences it sits in and tied to its turn), every answer gets the one set of answer flags
(interviews/services/answer_flags.py), a flagged answer's score is capped, and the overall score
and recommendation with it. Nothing here trusts the model: it is the last line of defence
against a model that was talked into a score or invented its evidence. The heuristic's
recommendation is always "needs review": a keyword count never decides about a person.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import mean

from interviews.llm.base import AnsweredQuestion, EvaluationResult
from interviews.llm.offline import METHOD as HEURISTIC_METHOD
from interviews.llm.offline import rubric_coverage
from interviews.llm.schemas import recommendation_for
from interviews.models import Recommendation, TurnSource
from interviews.prose import sentences
from interviews.services.answer_flags import (
    FLAG_LABELS,
    GAMING_FLAGS,
    AnswerFlag,
    answer_flags,
    flag_cap,
)

REPORT_SCHEMA = 2  # 2: quotes are whole sentences tied to turns; rubric points; flag reasons
# Questions served because no provider could write one: the candidate got a generic question.
FALLBACK_SOURCES = frozenset({TurnSource.FALLBACK, TurnSource.CACHE})
RANK = {r: i for i, r in enumerate(("no_hire", "lean_no", "hire", "strong_hire"))}
# The best recommendation an interview with a gaming flag on any question can get.
GAMING_CEILING = Recommendation.LEAN_NO


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
    answer_seqs: tuple[int, ...] = ()  # the seq of each answer's turn, for links to it

    def answered(self) -> AnsweredQuestion:
        return AnsweredQuestion(
            index=self.index,
            question=self.question,
            rubric=self.rubric,
            answer="\n\n".join(self.answers),
            question_source=self.question_source,  # type: ignore[arg-type]
        )

    def turn_of(self, position: int) -> int | None:
        return self.answer_seqs[position] if position < len(self.answer_seqs) else None


@dataclass(frozen=True)
class CheckedEvaluation:
    method: str
    confidence: float
    overall_score: Decimal
    recommendation: str
    report: dict[str, object]


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


def whole_sentences(quote: str, answer: str) -> str:
    """`quote` (found verbatim in `answer`) widened to the whole sentences it sits in."""
    at = answer.find(quote)
    if at < 0:
        return quote.strip()
    end = at + len(quote)
    touched = [s for s in sentences(answer) if s.start < end and s.end > at]
    if not touched:
        return quote.strip()
    return answer[min(touched[0].start, at) : max(touched[-1].end, end)].strip()


def _quotes(quotes: Sequence[str], source: QuestionTranscript) -> list[dict[str, object]]:
    """Each verified quote as whole sentences, with the turn it was said in (once each)."""
    out: list[dict[str, object]] = []
    for quote in quotes:
        position = next(i for i, a in enumerate(source.answers) if quote in a)
        item: dict[str, object] = {
            "text": whole_sentences(quote, source.answers[position]),
            "turn": source.turn_of(position),
        }
        if item not in out:
            out.append(item)
    return out


def rubric_evidence(source: QuestionTranscript, *, topic: str) -> list[dict[str, object]]:
    """Each rubric point with the whole sentences that touch it ([] = not covered)."""
    points = rubric_coverage(source.answered(), topic=topic).points
    return [
        {
            "point": point.point,
            "quotes": [
                {"text": s.text, "turn": source.turn_of(i)}
                for i, answer in enumerate(source.answers)
                for s in sentences(answer)
                if point.hits(s.text)
            ],
        }
        for point in points
    ]


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


def _flags(model_flags: Sequence[str], source: QuestionTranscript, topic: str) -> list[AnswerFlag]:
    """The server's own flags, then any the model raised that the server did not."""
    own = answer_flags(question=source.answered(), answers=source.answers, topic=topic)
    seen = {f.code for f in own}
    extra = [AnswerFlag(c, "The model flagged it.") for c in dict.fromkeys(model_flags)]
    return [*own, *(f for f in extra if f.code not in seen)]


def evaluation_check(
    *, result: EvaluationResult, transcript: Sequence[QuestionTranscript], topic: str
) -> CheckedEvaluation:
    """Validate `result` against the transcript and build the report that is stored."""
    _validate(result, transcript)
    by_index = {t.index: t for t in transcript}
    questions: list[dict[str, object]] = []
    scores: list[int] = []
    dropped_total = 0
    gamed = False
    for q in sorted(result.questions, key=lambda q: q.index):
        source = by_index[q.index]
        kept, dropped = verified_quotes(q.evidence, source.answers)
        dropped_total += dropped
        flags = _flags(q.flags, source, topic)
        codes = [f.code for f in flags]
        gamed = gamed or bool(GAMING_FLAGS.intersection(codes))
        cap = flag_cap(codes)
        scores.append(min(q.score, cap))
        questions.append(
            {
                "index": q.index,
                "question": source.question,
                "score": scores[-1],
                "provider_score": q.score,
                "capped": q.score > cap,
                "rationale": q.rationale,
                "evidence": _quotes(kept, source),
                "rubric": rubric_evidence(source, topic=topic),
                "dropped_quotes": dropped,
                "flags": codes,
                "flag_reasons": [
                    {"flag": f.code, "label": FLAG_LABELS.get(f.code, f.code), "reason": f.reason}
                    for f in flags
                ],
                "answer_turns": list(source.answer_seqs),
                "question_source": source.question_source,
                "follow_up_sources": list(source.follow_up_sources),
                "fallback": source.question_source in FALLBACK_SOURCES,
            }
        )
    capped = any(q["capped"] for q in questions)
    overall, recommendation = _verdict(result, scores, capped=capped, gamed=gamed)
    report: dict[str, object] = {
        "schema": REPORT_SCHEMA,
        "method": result.method,
        "heuristic": result.method == HEURISTIC_METHOD,
        "advisory": True,
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
        "gaming": gamed,
        "details": result.details,
    }
    return CheckedEvaluation(
        method=result.method,
        confidence=result.confidence,
        overall_score=Decimal(str(overall)).quantize(Decimal("0.01")),
        recommendation=recommendation,
        report=report,
    )


def _verdict(
    result: EvaluationResult, scores: Sequence[int], *, capped: bool, gamed: bool
) -> tuple[float, str]:
    """The overall score and recommendation that the capped question scores can support."""
    overall = result.overall_score
    if capped:
        # The provider's overall was built on the scores it gave; it may not exceed the
        # capped ones.
        overall = min(overall, mean(scores))
    if result.method == HEURISTIC_METHOD or result.recommendation not in RANK:
        return overall, Recommendation.NEEDS_REVIEW  # a keyword count never decides
    recommendation: str = result.recommendation
    if capped:
        recommendation = min(recommendation, recommendation_for(overall), key=RANK.__getitem__)
    if gamed:
        recommendation = min(recommendation, GAMING_CEILING, key=RANK.__getitem__)
    return overall, recommendation
