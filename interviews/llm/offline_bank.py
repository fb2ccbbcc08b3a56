"""The offline interviewer's question bank: the shipped JSON, validated and compiled once.

Every rubric keyword and topic alias becomes a word-boundary pattern, so matching an answer is a
regex search, not a parse. The bank is validated up front: a bad edit fails at start-up with the
entry named, never in the middle of an interview.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from interviews.prose import fold

_T = TypeVar("_T")
BANK_PATH = Path(__file__).with_name("data") / "question_bank.json"
DIFFICULTIES = ("easy", "medium", "hard")
TOPICS = ("python", "javascript", "sql", "system_design", "data_structures", "behavioural")
TECHNICAL = TOPICS[:5]
# An unrecognised topic resolves to this and draws questions from every technical topic.
MIXED = "mixed"

# A trailing suffix lets "index" match "indexes" and "lock" match "locking" without stemming.
_SUFFIX = r"(?:s|es|ed|d|ing|er|ers)?"


class QuestionBankError(ValueError):
    """The shipped question bank is malformed; the message names the offending entry."""


@dataclass(frozen=True)
class RubricPoint:
    point: str
    patterns: tuple[re.Pattern[str], ...]

    def hits(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns)


@dataclass(frozen=True)
class BankQuestion:
    id: str
    topic: str
    text: str
    rubric: tuple[RubricPoint, ...]
    follow_up: str

    @functools.cached_property
    def folded(self) -> str:
        """The text as fold() compares it (every question asked checks the bank against the
        questions asked before)."""
        return fold(self.text)


@dataclass(frozen=True)
class Topic:
    title: str
    aliases: tuple[re.Pattern[str], ...]
    questions: dict[str, tuple[BankQuestion, ...]]

    @functools.cached_property
    def vocabulary(self) -> tuple[re.Pattern[str], ...]:
        qs = (q for d in DIFFICULTIES for q in self.questions[d])
        return tuple(p for q in qs for point in q.rubric for p in point.patterns)


@dataclass(frozen=True)
class Bank:
    topics: dict[str, Topic]
    by_id: dict[str, BankQuestion]
    by_text: dict[str, BankQuestion]


def _pattern(term: str) -> re.Pattern[str]:
    parts = re.findall(r"[a-z0-9_]+", term.lower())
    body = r"[^a-z0-9_]+".join(map(re.escape, parts))
    return re.compile(rf"(?<![a-z0-9_]){body}{_SUFFIX}(?![a-z0-9_])", re.IGNORECASE)


def _fail(where: str, problem: str) -> QuestionBankError:
    return QuestionBankError(f"question bank entry {where}: {problem}")


def _get(value: object, kind: type[_T], where: str) -> _T:
    if not isinstance(value, kind) or not value:
        raise _fail(where, f"expected a non-empty {kind.__name__}")
    return value


def _patterns(value: object, where: str) -> tuple[re.Pattern[str], ...]:
    terms = [_get(v, str, where) for v in _get(value, list, where)]
    for term in terms:
        if term != term.lower() or not re.search(r"[a-z0-9]", term):
            raise _fail(where, f"{term!r} must be lowercase and contain a letter or digit")
    return tuple(map(_pattern, terms))


def _question(raw: object, where: str, topic: str, difficulty: str) -> BankQuestion:
    q = _get(raw, dict, where)
    qid = _get(q.get("id"), str, f"{where}.id")
    if not qid.startswith(f"{topic}-{difficulty}-"):
        raise _fail(where, f"id {qid!r} must start with '{topic}-{difficulty}-'")
    points = _get(q.get("rubric"), list, f"{qid}.rubric")
    if not 3 <= len(points) <= 5:
        raise _fail(f"{qid}.rubric", f"expected 3 to 5 points, got {len(points)}")
    rubric = []
    for i, p in enumerate(points):
        point = _get(p, dict, w := f"{qid}.rubric[{i}]")
        text = _get(point.get("point"), str, f"{w}.point")
        rubric.append(RubricPoint(text, _patterns(point.get("keywords"), f"{w}.keywords")))
    text = _get(q.get("text"), str, f"{qid}.text")
    return BankQuestion(qid, topic, text, tuple(rubric), _get(q.get("follow_up"), str, qid))


def parse_bank(raw: object) -> Bank:
    """Validate the whole bank up front so a bad edit fails at start-up, not mid-interview."""
    top = _get(raw, dict, "<root>")
    if top.get("version") != 1:
        raise _fail("<root>.version", "expected version 1")
    topics_raw = _get(top.get("topics"), dict, "topics")
    if set(topics_raw) != set(TOPICS):
        raise _fail("topics", f"expected exactly {sorted(TOPICS)}, got {sorted(topics_raw)}")
    topics: dict[str, Topic] = {}
    by_id: dict[str, BankQuestion] = {}
    by_text: dict[str, BankQuestion] = {}
    for key in TOPICS:
        t = _get(topics_raw[key], dict, w := f"topics.{key}")
        sections = _get(t.get("questions"), dict, f"{w}.questions")
        questions: dict[str, tuple[BankQuestion, ...]] = {}
        for diff in DIFFICULTIES:
            where = f"{w}.questions.{diff}"
            items = enumerate(_get(sections.get(diff), list, where))
            questions[diff] = tuple(_question(q, f"{where}[{i}]", key, diff) for i, q in items)
            for q in questions[diff]:
                if q.id in by_id or fold(q.text) in by_text:
                    raise _fail(q.id, "duplicate id or question text")
                by_id[q.id] = by_text[fold(q.text)] = q
        title = _get(t.get("title"), str, f"{w}.title")
        topics[key] = Topic(title, _patterns(t.get("aliases"), f"{w}.aliases"), questions)
    return Bank(topics, by_id, by_text)


@functools.cache
def load_bank() -> Bank:
    with BANK_PATH.open(encoding="utf-8") as fh:
        return parse_bank(json.load(fh))


def resolve_topic(free_text: str) -> str:
    """Map a free-text topic to a bank topic; anything unrecognised becomes MIXED."""
    text = fold(free_text)
    if text.replace(" ", "_") in TOPICS:
        return text.replace(" ", "_")
    best: tuple[int, int, int] | None = None
    for order, key in enumerate(TOPICS):
        starts = [m.start() for p in load_bank().topics[key].aliases if (m := p.search(text))]
        # Most alias hits wins; on a tie, whichever topic the text mentions first.
        if starts and (best is None or (-len(starts), min(starts)) < best[:2]):
            best = (-len(starts), min(starts), order)
    return TOPICS[best[2]] if best else MIXED
