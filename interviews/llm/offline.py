"""The built-in interviewer: a question bank shipped with the code plus keyword heuristics.

It needs no network, so an interview can always start and finish even when every LLM provider
is down. Everything here is deterministic for a given seed, which keeps replays and tests stable.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from statistics import mean

from .base import (
    AnsweredQuestion,
    EvaluationResult,
    GeneratedQuestion,
    QuestionContext,
    QuestionScore,
    Recommendation,
)
from .offline_bank import (
    MIXED,
    TECHNICAL,
    TOPICS,
    BankQuestion,
    RubricPoint,
    _norm,
    _pattern,
    load_bank,
    resolve_topic,
)

GENERIC_FOLLOW_UP = "Could you walk me through a concrete example of that from your own experience?"
THIN_WORDS = 25
# Below this an unrelated answer reads as "don't know" rather than as talking about something else.
OFF_TOPIC_MIN_WORDS = THIN_WORDS
METHOD = "offline-heuristic"
CAVEAT = "Scored offline by keyword heuristics rather than a model; treat it as a rough signal."

_WORD = re.compile(r"[^\W_]+")
_KEYBOARD_RUNS = tuple(row for r in ("qwertyuiop", "asdfghjkl", "zxcvbnm") for row in (r, r[::-1]))
_SPECIFICS = re.compile(r"\d|`|\w\(|\w_\w|\w\.\w")
_EXAMPLE = re.compile(
    r"\b(for example|for instance|e\.g\.|such as|in my|at my|we had|i once|last year)\b", re.I
)
# A full stop only ends a sentence before whitespace, so "sys.path" or "e.g." stay whole.
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=\S))+[.!?]*")
_FLAG_REASONS = {
    "empty": "The answer is blank or too short to assess.",
    "gibberish": "The answer does not read as language (keyboard mash or mostly non-words).",
    "off_topic": "The answer does not touch the question or its topic.",
}
# Words any answer may use whatever the question, so they prove no relevance to it.
_COMMON_WORDS = frozenset(
    "about after again because before being between could describe example explain first "  # noqa: SIM905
    "other should something their there these thing things think those through under using "
    "walk where which while would write years".split()
)
_THRESHOLDS: tuple[tuple[float, Recommendation], ...] = (
    (4.2, "strong_hire"),
    (3.4, "hire"),
    (2.4, "lean_no"),
)


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _interleaved(topics: tuple[str, ...], difficulty: str, seed: int) -> list[BankQuestion]:
    columns = []
    for t in topics:
        column = list(load_bank().topics[t].questions[difficulty])
        random.Random(f"{seed}:{t}:{difficulty}").shuffle(column)
        columns.append(column)
    return [q for row in zip(*columns, strict=False) for q in row]


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


def _keyboard_cover(token: str) -> float:
    """Share of the token made of runs of 3+ neighbouring keys ("asdf", "lkj")."""
    covered = [False] * len(token)
    for i in range(len(token) - 2):
        for j in range(min(len(token), i + 10), i + 2, -1):
            if any(token[i:j] in run for run in _KEYBOARD_RUNS):
                covered[i:j] = [True] * (j - i)
                break
    return sum(covered) / len(token)


def _is_junk(token: str) -> bool:
    # Above 0.75 so real words with one run ("tree", "were", "property") are not caught.
    if len(token) >= 3 and _keyboard_cover(token) > 0.75:
        return True
    if re.search(r"(.)\1\1", token):
        return True
    if not re.search(r"[aeiouy]", token):
        return len(token) > 5  # short vowel-less tokens are usually acronyms: sql, http, tcp
    return bool(re.search(r"[^aeiouy]{6,}", token))


def _is_gibberish(text: str) -> bool:
    chars = [c for c in text if not c.isspace()]
    if chars and sum(c.isalpha() for c in chars) / len(chars) < 0.5:
        return True
    tokens = re.findall(r"[a-z]+", text.lower())
    return bool(tokens) and sum(map(_is_junk, tokens)) / len(tokens) >= 0.5


def _substance(text: str, words: int) -> float:
    """0..1: a little credit for length, concrete specifics and worked examples."""
    length = min(1.0, words / 80)
    return 0.6 * length + 0.2 * bool(_SPECIFICS.search(text)) + 0.2 * bool(_EXAMPLE.search(text))


def _evidence(text: str, points: list[RubricPoint]) -> tuple[str, ...]:
    patterns = [p for point in points for p in point.patterns]
    found: list[tuple[int, int, str]] = []
    for m in _SENTENCE.finditer(text):
        sentence = m.group().strip()
        if hits := [h for p in patterns if (h := p.search(sentence))]:
            if len(sentence) > 240:  # keeps quotes readable; slicing keeps them verbatim
                start = max(0, min(h.start() for h in hits) - 80)
                sentence = sentence[start : start + 240].strip()
            found.append((-len(hits), m.start(), sentence))
    return tuple(s for _, _, s in sorted(sorted(found)[:2], key=lambda f: f[1]))


def _derived_points(rubric: tuple[str, ...]) -> tuple[RubricPoint, ...]:
    """Rubrics from other providers carry no keywords; their longer words stand in for them."""
    words = [(p, dict.fromkeys(re.findall(r"[a-z0-9_]{5,}", p.lower()))) for p in rubric]
    return tuple(RubricPoint(p, tuple(map(_pattern, kws))) for p, kws in words if kws)


def _question_terms(question: str) -> list[re.Pattern[str]]:
    """The question's content words, as patterns: what an on-topic answer is likely to reuse."""
    terms = dict.fromkeys(re.findall(r"[a-z0-9_]{5,}", question.lower()))
    return [_pattern(t) for t in terms if t not in _COMMON_WORDS]


@dataclass(frozen=True)
class _Assessment:
    flag: str  # "" or one of _FLAG_REASONS
    points: tuple[RubricPoint, ...]
    covered: tuple[RubricPoint, ...]
    words: int


def _assess(aq: AnsweredQuestion, topic: str) -> _Assessment:
    """Rubric coverage and, when the answer cannot be scored on substance, why not."""
    bank, text = load_bank(), aq.answer
    entry = bank.by_text.get(_norm(aq.question))
    points = entry.rubric if entry else _derived_points(aq.rubric)
    keys = {*(TECHNICAL if topic == MIXED else (topic,)), *([entry.topic] if entry else [])}
    related = [p for k in keys for p in bank.topics[k].aliases]
    if not points:  # no coverage to measure, so the topic's vocabulary has to show relevance
        related += [p for k in keys for p in bank.topics[k].vocabulary]
    if entry is None:
        # A generated question carries no keywords; talking about what it asks is on topic.
        related += _question_terms(aq.question)
    words = _words(text)
    covered = tuple(p for p in points if p.hits(text))
    flag = ""
    if words < 3:
        flag = "empty"
    elif _is_gibberish(text):
        flag = "gibberish"
    elif words >= OFF_TOPIC_MIN_WORDS and not covered and not any(p.search(text) for p in related):
        flag = "off_topic"
    return _Assessment(flag, tuple(points), covered, words)


def answer_flag(aq: AnsweredQuestion, *, topic: str) -> str:
    """ "" or why the answer cannot be scored on substance: "empty", "gibberish", "off_topic".

    The evaluation service runs it on every report, whoever wrote it, so an LLM cannot give a
    high score to an answer the heuristic sees is blank, keyboard mash or about something else.
    """
    return _assess(aq, resolve_topic(topic)).flag


def _score_answer(aq: AnsweredQuestion, topic: str) -> tuple[QuestionScore, str, str]:
    """The question's score plus one strength and one concern sentence ("" when none apply)."""
    n, text = aq.index, aq.answer
    assessed = _assess(aq, topic)
    flag, points, words = assessed.flag, assessed.points, assessed.words
    covered = list(assessed.covered)
    if flag:
        concern = f"Question {n}: the answer was flagged as {flag.replace('_', '-')}."
        return QuestionScore(n, 1, _FLAG_REASONS[flag], (), (flag,)), "", concern
    substance = _substance(text, words)
    if not points:
        why = "No rubric is available for this question; scored on length and specifics only."
        return QuestionScore(n, min(3, int(1.5 + 2 * substance)), why), "", ""
    # Coverage dominates; substance lifts a score by at most one point, and terse answers cap at 3.
    raw = 1 + 3.5 * len(covered) / len(points) + substance
    score = max(1, min(5 if words >= 15 else 3, int(raw + 0.5)))
    missing = [p.point for p in points if p not in covered]
    why = f"Covered {len(covered)} of {len(points)} rubric points"
    why += f": {'; '.join(p.point for p in covered)}." if covered else "."
    why += f" Missing: {'; '.join(missing)}." if missing else ""
    strength = f"Question {n} covered: {covered[0].point}." if score >= 4 and covered else ""
    concern = f"Question {n} missed: {missing[0]}." if score <= 2 and missing else ""
    return QuestionScore(n, score, why, _evidence(text, covered)), strength, concern


class OfflineInterviewer:
    name = "offline"
    resolve_topic = staticmethod(resolve_topic)

    def generate_question(self, ctx: QuestionContext) -> GeneratedQuestion:
        asked = {_norm(q) for q in ctx.previous_questions}
        topic = resolve_topic(ctx.topic)
        for q in _candidates(topic, ctx.difficulty, ctx.seed, ctx.index):
            if _norm(q.text) not in asked:
                rubric = tuple(p.point for p in q.rubric)
                return GeneratedQuestion(q.text, rubric, "offline", self.name, q.id)
        raise LookupError(f"all {len(asked)} questions have been asked; the bank is exhausted")

    def follow_up(
        self, ctx: QuestionContext, question: GeneratedQuestion, answer: str
    ) -> str | None:
        bank = load_bank()
        entry = bank.by_id.get(question.key) or bank.by_text.get(_norm(question.text))
        thin = _words(answer) < THIN_WORDS
        if entry is None:
            return GENERIC_FOLLOW_UP if thin else None
        if thin or not any(p.hits(answer) for p in entry.rubric):
            return entry.follow_up
        return None

    def evaluate(
        self, *, role: str, topic: str, difficulty: str, answers: tuple[AnsweredQuestion, ...]
    ) -> EvaluationResult:
        resolved = resolve_topic(topic)
        results = [_score_answer(a, resolved) for a in answers]
        scores = tuple(r[0] for r in results)
        flagged = sum(1 for s in scores if s.flags)
        overall = round(mean(s.score for s in scores), 2) if scores else 1.0
        concerns = [c for _, _, c in results if c][:4] if scores else ["No answers were recorded."]
        # Keywords are all it sees, so it trusts itself less when there is little clean text.
        avg_words = mean(min(_words(a.answer), 120) for a in answers) if answers else 0
        clean = 1 - flagged / len(scores) if scores else 0.0
        confidence = round(0.3 + 0.3 * clean * min(1.0, avg_words / 80), 2)
        return EvaluationResult(
            method=METHOD,
            overall_score=overall,
            recommendation=next((r for t, r in _THRESHOLDS if overall >= t), "no_hire"),
            questions=scores,
            strengths=tuple(s for _, s, _ in results if s)[:3],
            concerns=(*concerns, CAVEAT),
            confidence=min(0.6, max(0.3, confidence)),
            details={"heuristic": True, "flagged": flagged, "topic": resolved, "note": CAVEAT},
        )
