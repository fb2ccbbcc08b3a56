"""The built-in interviewer: a question bank shipped with the code plus keyword heuristics.

It needs no network, so an interview can always start and finish even when every LLM provider
is down. Everything here is deterministic for a given seed, which keeps replays and tests stable.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean

from interviews.prose import fold, sentences, word_count

from .base import (
    AnsweredQuestion,
    EvaluationResult,
    GeneratedQuestion,
    QuestionContext,
    QuestionScore,
    Source,
)
from .budget import Deadline
from .offline_bank import (
    MIXED,
    TECHNICAL,
    TOPICS,
    Bank,
    BankQuestion,
    RubricPoint,
    _pattern,
    load_bank,
    resolve_topic,
)
from .offline_grounded import grounded_question

GENERIC_FOLLOW_UP = "Could you walk me through a concrete example of that from your own experience?"
THIN_WORDS = 25
METHOD = "offline-heuristic"
CAVEAT = (
    "Scored offline by rubric keywords, not judged by a model: it shows coverage, flags and "
    "evidence but cannot tell whether to hire. A person must review the answers."
)
MAX_EVIDENCE = 3

_SPECIFICS = re.compile(r"\d|`|\w\(|\w_\w|\w\.\w")
_EXAMPLE = re.compile(
    r"\b(for example|for instance|e\.g\.|such as|in my|at my|we had|i once|last year)\b", re.I
)
# Words any answer may use whatever the question, so they prove no relevance to it.
_COMMON_WORDS = frozenset(
    "about after again because before being between could describe example explain first "  # noqa: SIM905
    "other should something their there these thing things think those through under using "
    "walk where which while would write years".split()
)


def _words(text: str) -> int:
    return word_count(text)


def _interleaved(topics: tuple[str, ...], difficulty: str, seed: int) -> list[BankQuestion]:
    bank = load_bank()
    cached = _shuffled(topics, difficulty, seed)
    if cached[0] is not bank:  # the bank was reloaded since
        _shuffled.cache_clear()
        cached = _shuffled(topics, difficulty, seed)
    return list(cached[1])


@functools.lru_cache(maxsize=4096)
def _shuffled(
    topics: tuple[str, ...], difficulty: str, seed: int
) -> tuple[Bank, tuple[BankQuestion, ...]]:
    # Each interview (seed) asks several questions from the same orders: shuffled once.
    bank = load_bank()
    columns = []
    for t in topics:
        column = list(bank.topics[t].questions[difficulty])
        random.Random(f"{seed}:{t}:{difficulty}").shuffle(column)
        columns.append(column)
    return bank, tuple(q for row in zip(*columns, strict=False) for q in row)


def _candidates(topic: str, difficulty: str, seed: int, index: int) -> list[BankQuestion]:
    """Every bank question in the order to try: this level, neighbouring levels, other topics."""
    near = {"easy": ("easy", "medium", "hard"), "medium": ("medium", "hard", "easy")}
    order = near.get(difficulty, ("hard", "medium", "easy"))
    primary = TECHNICAL if topic == MIXED else (topic,)
    others = tuple(t for t in TOPICS if t not in primary)
    first = _interleaved(primary, order[0], seed)
    # Start at the question's position so callers that pass no history still avoid repeats.
    k = (index - 1) % len(first) if first else 0
    out = first[k:] + first[:k]
    for diff in order[1:]:
        out += _interleaved(primary, diff, seed)
    for diff in order:
        out += _interleaved(others, diff, seed)
    return out


def _substance(text: str, words: int) -> float:
    """0..1: a little credit for length, concrete specifics and worked examples."""
    length = min(1.0, words / 80)
    return 0.6 * length + 0.2 * bool(_SPECIFICS.search(text)) + 0.2 * bool(_EXAMPLE.search(text))


def _evidence(text: str, points: Sequence[RubricPoint]) -> tuple[str, ...]:
    """Whole sentences of the answer that support the covered points, most points first."""
    found = [
        (-sum(p.hits(s.text) for p in points), s.start, s.text)
        for s in sentences(text)
        if any(p.hits(s.text) for p in points)
    ]
    best = sorted(found)[:MAX_EVIDENCE]
    return tuple(quote for _, _, quote in sorted(best, key=lambda f: f[1]))


def _derived_points(rubric: tuple[str, ...]) -> tuple[RubricPoint, ...]:
    """Rubrics from other providers carry no keywords; their longer words stand in for them."""
    words = [(p, dict.fromkeys(re.findall(r"[a-z0-9_]{5,}", p.lower()))) for p in rubric]
    return tuple(RubricPoint(p, tuple(map(_pattern, kws))) for p, kws in words if kws)


def _question_terms(question: str) -> list[re.Pattern[str]]:
    """The question's content words, as patterns: what an on-topic answer is likely to reuse."""
    terms = dict.fromkeys(re.findall(r"[a-z0-9_]{5,}", question.lower()))
    return [_pattern(t) for t in terms if t not in _COMMON_WORDS]


@dataclass(frozen=True)
class Coverage:
    points: tuple[RubricPoint, ...]  # the rubric, as keyword patterns
    covered: tuple[RubricPoint, ...]  # the points the text hits
    related: bool  # whether it touches the topic or the question's own terms
    curated: bool = True  # keywords from the bank (else the words of another provider's rubric)


def rubric_coverage(aq: AnsweredQuestion, *, topic: str, text: str | None = None) -> Coverage:
    """Which rubric points `text` (default: the answer) hits, by the bank's keywords, or by
    the longer words of a rubric another provider wrote."""
    bank, text = load_bank(), aq.answer if text is None else text
    topic = resolve_topic(topic)
    entry = bank.by_text.get(fold(aq.question))
    points = entry.rubric if entry else _derived_points(aq.rubric)
    keys = {*(TECHNICAL if topic == MIXED else (topic,)), *([entry.topic] if entry else [])}
    related = [p for k in keys for p in bank.topics[k].aliases]
    if not points:  # no coverage to measure, so the topic's vocabulary has to show relevance
        related += [p for k in keys for p in bank.topics[k].vocabulary]
    if entry is None:
        # A generated question carries no keywords; talking about what it asks is on topic.
        related += _question_terms(aq.question)
    covered = tuple(p for p in points if p.hits(text))
    related_hit = any(p.search(text) for p in related)
    return Coverage(tuple(points), covered, related_hit, curated=entry is not None)


def _depth(covered: Sequence[RubricPoint], text: str) -> float:
    """Covered points weighed by how much of each the answer says: one of the bank's keywords
    is half a point, two or more a whole one (a passing mention is not an explanation). Raised
    the Spearman correlation with the corpus labels from 0.934 to 0.944 (docs/evaluation.md)."""
    return sum(min(1.0, sum(1 for p in point.patterns if p.search(text)) / 2) for point in covered)


def _score_answer(aq: AnsweredQuestion, topic: str) -> tuple[QuestionScore, str, str]:
    """The question's coverage score plus one strength and one concern sentence ("" when none).

    Flags (blank, mash, gaming) are not decided here: the evaluation service runs the one set
    of answer flags on every provider's result and caps the scores they touch.
    """
    n, text = aq.index, aq.answer
    coverage = rubric_coverage(aq, topic=topic)
    points, covered, words = coverage.points, list(coverage.covered), _words(text)
    substance = _substance(text, words)
    if not points:
        why = "No rubric is available for this question; scored on length and specifics only."
        return QuestionScore(n, max(1, min(3, int(1.5 + 2 * substance))), why), "", ""
    # Coverage dominates; substance lifts a score by at most one point, and terse answers cap
    # at 3. Nothing covered is "no substantive answer", however long the text.
    depth = _depth(covered, text) if coverage.curated else len(covered)
    raw = 1 + 3.5 * depth / len(points) + substance if covered else 1
    score = max(1, min(5 if words >= 15 else 3, int(raw + 0.5)))
    missing = [p.point for p in points if p not in covered]
    why = f"Covered {len(covered)} of {len(points)} rubric points"
    why += f": {'; '.join(p.point for p in covered)}." if covered else "."
    why += f" Not covered: {'; '.join(missing)}." if missing else ""
    strength = f"Question {n} covered: {covered[0].point}." if score >= 4 and covered else ""
    concern = f"Question {n} did not cover: {missing[0]}." if score <= 2 and missing else ""
    return QuestionScore(n, score, why, _evidence(text, covered)), strength, concern


class OfflineInterviewer:
    """No I/O, answers in milliseconds: the deadlines the chain passes are ignored."""

    name = "offline"
    source: Source = "offline"
    resolve_topic = staticmethod(resolve_topic)

    def generate_question(
        self, ctx: QuestionContext, *, deadline: Deadline | None = None
    ) -> GeneratedQuestion:
        asked = {fold(q) for q in ctx.previous_questions}
        topic = resolve_topic(ctx.topic)
        candidates = [
            q for q in _candidates(topic, ctx.difficulty, ctx.seed, ctx.index)
            if q.folded not in asked
        ]  # fmt: skip
        grounded = grounded_question(ctx, candidates, provider=self.name)
        if grounded is not None:
            return grounded
        for q in candidates:
            rubric = tuple(p.point for p in q.rubric)
            return GeneratedQuestion(q.text, rubric, "offline", self.name, q.id)
        raise LookupError(f"all {len(asked)} questions have been asked; the bank is exhausted")

    def follow_up(
        self,
        ctx: QuestionContext,
        question: GeneratedQuestion,
        answer: str,
        *,
        deadline: Deadline | None = None,
    ) -> str | None:
        bank = load_bank()
        entry = bank.by_id.get(question.key) or bank.by_text.get(fold(question.text))
        thin = _words(answer) < THIN_WORDS
        if entry is None:
            return GENERIC_FOLLOW_UP if thin else None
        if thin or not any(p.hits(answer) for p in entry.rubric):
            return entry.follow_up
        return None

    def evaluate(
        self,
        *,
        role: str,
        topic: str,
        difficulty: str,
        answers: tuple[AnsweredQuestion, ...],
        deadline: Deadline | None = None,
    ) -> EvaluationResult:
        resolved = resolve_topic(topic)
        results = [_score_answer(a, resolved) for a in answers]
        scores = tuple(r[0] for r in results)
        overall = round(mean(s.score for s in scores), 2) if scores else 1.0
        concerns = [c for _, _, c in results if c][:4] if scores else ["No answers were recorded."]
        # Keywords are all it sees, so it trusts itself less when there is little text.
        avg_words = mean(min(_words(a.answer), 120) for a in answers) if answers else 0
        confidence = round(0.3 + 0.3 * min(1.0, avg_words / 80), 2)
        return EvaluationResult(
            method=METHOD,
            overall_score=overall,
            # A keyword count cannot judge a person: the decision is left to a reviewer.
            recommendation="needs_review",
            questions=scores,
            strengths=tuple(s for _, s, _ in results if s)[:3],
            concerns=(*concerns, CAVEAT),
            confidence=min(0.6, max(0.3, confidence)),
            details={"heuristic": True, "topic": resolved, "note": CAVEAT},
        )
