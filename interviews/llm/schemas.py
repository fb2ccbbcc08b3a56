"""Validation of the models' structured replies: plain Python, no schema library.

Each parser takes the raw reply text and returns typed values or raises MalformedReply with a
`problem` that can be sent back to the model in the repair prompt. Problems describe the shape
only; they never quote the reply, so nothing the candidate wrote is echoed back as an
instruction.
"""

import functools
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast

from interviews.coding.spec import CodingSpec, CodingSpecInvalid, coding_spec_parse
from interviews.llm.base import QuestionScore, Recommendation
from interviews.llm.errors import MalformedReply
from interviews.prose import fold
from interviews.services.instructions import injected_instructions

MAX_QUESTION_CHARS = 1000
MAX_FOLLOW_UP_CHARS = 300  # "one short follow-up question"; an echoed prompt runs far longer
MAX_RUBRIC_POINTS = 8
MAX_POINT_CHARS = 400
MAX_TEXT_CHARS = 4000  # rationales, strengths, concerns, evidence quotes
RECOMMENDATIONS: tuple[Recommendation, ...] = ("strong_hire", "hire", "lean_no", "no_hire")
# Overall score -> the best recommendation it can support (the bands the evaluation prompt
# states; the evaluation check and the fake LLM both use them).
RECOMMENDATION_BANDS: tuple[tuple[float, Recommendation], ...] = (
    (4.2, "strong_hire"),
    (3.4, "hire"),
    (2.4, "lean_no"),
)


def recommendation_for(score: float) -> Recommendation:
    return next((r for t, r in RECOMMENDATION_BANDS if score >= t), "no_hire")


# What a model may flag an answer as; the server checks every answer for these itself too
# (interviews/services/answer_flags.py, which caps the score of each).
ANSWER_FLAGS = (
    "empty",
    "gibberish",
    "off_topic",
    "keyword_stuffing",
    "question_echo",
    "repetition",
    "padding",
    "instructions",
    "result_json",
)
# A rubric point this long appearing verbatim in a question or follow-up gives the answer away;
# shorter ones ("Uses an example") can match by chance.
MIN_LEAK_WORDS = 3

# Words in a row shared with the instructions that make a reply an echo of them; shorter runs
# ("a concrete example") occur in genuine questions.
ECHO_RUN_WORDS = 6
# Share of a reply's three-word sequences found in the instructions that makes it a patchwork
# of them (a genuine question shares one or two at most).
ECHO_TRIGRAM_SHARE = 0.5
# A model talking about its prompt or itself, never to a candidate: our own contract's keys and
# placeholders, its role, and refusals. Orders to ignore instructions and prompt syntax are the
# answer checks' rule (interviews/services/instructions.py: injected_instructions), used here
# as well; the rest of that module is about text aimed at an evaluator ("score this 5/5"),
# which a question to a candidate may legitimately discuss ("how would you score documents?").
_MODEL_TALK = re.compile(
    r"""
    \byou\s+are\s+(now\s+)?(the|an?)\s+(interviewer|assistant|ai|chatbot|language\s+model)\b
    | \b(system|developer)\s+(prompt|message|instructions?)\b
    | \bas\s+an\s+ai\b | \b(large|ai)\s+language\s+model\b
    | \b(reply|respond)\s+(only\s+)?with\s+(one\s+|a\s+|only\s+)?json\b
    | \bthe\s+last\s+user\s+message\b | \buntrusted\s+content\b | \bdo\s+not\s+comply\b
    | "(task|follow_up|question|rubric|repair)"\s*:
    | <(one\s+question|the\s+question|point)>
    | ^\W*(i'?m|i\s+am)\s+(sorry|afraid)\b | \bi\s+apologi[sz]e\b
    | \bi\s+(can'?t|cannot|am\s+unable\s+to|won'?t)\s+(help|assist|comply|do\s+that)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_WORD = re.compile(r"[\w']+")

_FENCED = re.compile(r"\A```(?:json|JSON)?[ \t]*\n?(.*?)\n?```\Z", re.DOTALL)


@dataclass(frozen=True)
class QuestionReply:
    question: str
    rubric: tuple[str, ...]


@dataclass(frozen=True)
class EvaluationReply:
    questions: tuple[QuestionScore, ...]
    overall_score: float
    recommendation: Recommendation
    strengths: tuple[str, ...]
    concerns: tuple[str, ...]


def parse_object(text: str) -> dict[str, Any]:
    """The JSON object in `text`: bare, or wrapped in one ```json fence and nothing else."""
    body = text.strip()
    fenced = _FENCED.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        value = json.loads(body)
    except ValueError:
        raise MalformedReply(
            "the reply is not a JSON object (no prose, no truncation, at most one ```json fence)"
        ) from None
    if not isinstance(value, dict):
        raise MalformedReply(f"the reply is a JSON {type(value).__name__}, not an object")
    return value


def _text(value: object, where: str, *, limit: int = MAX_TEXT_CHARS) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MalformedReply(f"{where} must be a non-empty string")
    if len(value) > limit:
        raise MalformedReply(f"{where} must be at most {limit} characters")
    return value.strip()


def _texts(value: object, where: str, *, most: int = 20) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > most:
        raise MalformedReply(f"{where} must be a list of at most {most} strings")
    return tuple(_text(item, f"{where}[{i}]") for i, item in enumerate(value))


def _integer(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MalformedReply(f"{where} must be an integer from {low} to {high}")
    return value


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold()))


@functools.lru_cache(maxsize=16)  # the instructions are a handful of constants
def _runs(instructions: str, size: int) -> frozenset[tuple[str, ...]]:
    words = _words(instructions)
    return frozenset(words[i : i + size] for i in range(len(words) - size + 1))


def _echoes(text: str, instructions: str) -> bool:
    """Whether `text` repeats `instructions`: a run of ECHO_RUN_WORDS words, or mostly their
    three-word sequences (case, spacing and punctuation ignored)."""
    if not instructions:
        return False
    words = _words(text)
    runs = _runs(instructions, ECHO_RUN_WORDS)
    span = ECHO_RUN_WORDS
    if any(words[i : i + span] in runs for i in range(len(words) - span + 1)):
        return True
    trigrams = [words[i : i + 3] for i in range(len(words) - 2)]
    shared = sum(t in _runs(instructions, 3) for t in trigrams)
    return len(trigrams) >= 4 and shared >= ECHO_TRIGRAM_SHARE * len(trigrams)


def _for_candidate(text: str, where: str, instructions: str) -> str:
    """`text` if it can be put in front of a candidate: not instructions, whether ours
    repeated or anyone's (the problem never quotes it, so the repair cannot echo it back)."""
    if _echoes(text, instructions) or _MODEL_TALK.search(text) or injected_instructions(text):
        raise MalformedReply(
            f"{where} repeats instructions or talks about the prompt instead of asking the "
            "candidate a question; ask only the question"
        )
    return text


def _leaks(text: str, rubric: Sequence[str]) -> bool:
    said = fold(text)
    return any(len(p.split()) >= MIN_LEAK_WORDS and fold(p) in said for p in rubric)


def parse_question(
    text: str, *, previous: Collection[str] = (), instructions: str = ""
) -> QuestionReply:
    """`instructions`: the system prompt the reply answers, which the question must not echo."""
    data = parse_object(text)
    question = _text(data.get("question"), '"question"', limit=MAX_QUESTION_CHARS)
    _for_candidate(question, '"question"', instructions)
    raw = data.get("rubric")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_RUBRIC_POINTS:
        raise MalformedReply(f'"rubric" must be a list of 1 to {MAX_RUBRIC_POINTS} strings')
    rubric = tuple(
        _text(point, f'"rubric"[{i}]', limit=MAX_POINT_CHARS) for i, point in enumerate(raw)
    )
    if fold(question) in {fold(q) for q in previous}:
        raise MalformedReply('"question" repeats one of previous_questions; ask a new one')
    if _leaks(question, rubric):
        raise MalformedReply('"question" must not contain the rubric; the candidate sees it')
    return QuestionReply(question, rubric)


def parse_follow_up(text: str, *, rubric: Sequence[str] = (), instructions: str = "") -> str | None:
    data = parse_object(text)
    if "follow_up" not in data:
        raise MalformedReply('the object needs a "follow_up" key (a string or null)')
    value = data["follow_up"]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # an empty question is no question: move on
    follow_up = _text(value, '"follow_up"', limit=MAX_FOLLOW_UP_CHARS)
    _for_candidate(follow_up, '"follow_up"', instructions)
    if _leaks(follow_up, rubric):
        raise MalformedReply('"follow_up" must not reveal the rubric or how answers are scored')
    return follow_up


def _score(raw: object, i: int, expected: Collection[int]) -> QuestionScore:
    where = f'"questions"[{i}]'
    if not isinstance(raw, dict):
        raise MalformedReply(f"{where} must be an object")
    item = cast(dict[str, Any], raw)
    index = item.get("index")
    if isinstance(index, bool) or not isinstance(index, int) or index not in expected:
        raise MalformedReply(f"{where}.index must be one of {sorted(expected)}")
    evidence = item.get("evidence", [])
    flags = _texts(item.get("flags", []), f"{where}.flags", most=len(ANSWER_FLAGS))
    if not set(flags) <= set(ANSWER_FLAGS):
        raise MalformedReply(f"{where}.flags may only contain {', '.join(ANSWER_FLAGS)}")
    return QuestionScore(
        index=index,
        score=_integer(item.get("score"), f"{where}.score", 1, 5),
        rationale=_text(item.get("rationale"), f"{where}.rationale"),
        evidence=tuple(e.strip() for e in _texts(evidence, f"{where}.evidence", most=10)),
        flags=tuple(dict.fromkeys(flags)),
    )


def parse_evaluation(text: str, *, indexes: Collection[int]) -> EvaluationReply:
    data = parse_object(text)
    raw = data.get("questions")
    if not isinstance(raw, list):
        raise MalformedReply('"questions" must be a list with one entry per answered question')
    scores = tuple(_score(item, i, indexes) for i, item in enumerate(raw))
    seen = [s.index for s in scores]
    if sorted(seen) != sorted(indexes):
        raise MalformedReply(
            f'"questions" must score each of {sorted(indexes)} exactly once, got {sorted(seen)}'
        )
    overall = data.get("overall_score")
    if isinstance(overall, bool) or not isinstance(overall, int | float) or not 1 <= overall <= 5:
        raise MalformedReply('"overall_score" must be a number from 1 to 5')
    recommendation = data.get("recommendation")
    if recommendation not in RECOMMENDATIONS:
        raise MalformedReply(f'"recommendation" must be one of {", ".join(RECOMMENDATIONS)}')
    return EvaluationReply(
        questions=tuple(sorted(scores, key=lambda s: s.index)),
        overall_score=float(overall),
        recommendation=cast(Recommendation, recommendation),
        strengths=_texts(data.get("strengths", []), '"strengths"'),
        concerns=_texts(data.get("concerns", []), '"concerns"'),
    )


def parse_coding_question(text: str, *, language: str) -> CodingSpec:
    """A coding question with its reference solution; whether the solution passes its tests is
    checked in the sandbox afterwards (interviews/coding/verify.py)."""
    data = parse_object(text)
    try:
        return coding_spec_parse({**data, "key": "", "language": language}, where="the reply")
    except CodingSpecInvalid as exc:
        raise MalformedReply(str(exc)) from None
