"""The offline interviewer on the job's passages (interviews/llm/grounding.py): bank questions
that match what the job asks for come first, and every other question may be a templated one
about a requirement the job description states.

Deterministic like the rest of the offline interviewer: the same passages and history give
the same question.
"""

import hashlib
import re
from collections.abc import Sequence

from interviews.llm.base import JOB_DESCRIPTION, GeneratedQuestion, QuestionContext
from interviews.llm.offline_bank import _SUFFIX as SUFFIX
from interviews.llm.offline_bank import BankQuestion
from interviews.prose import fold, sentences

MAX_REQUIREMENT_CHARS = 200
WORD_START, WORD_GAP = "(?<![a-z0-9_])", "[^a-z0-9_]+"
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
# Phrases job descriptions state a need with.
_NEED = re.compile(
    r"\b(experience|knowledge|familiar|proficien\w*|must|required?|requirements?|you have|"
    r"you will|you'll|able to|skilled|expert\w*|understanding of|hands-on|fluent)\b",
    re.I,
)
_WORD = re.compile(r"[a-z][a-z0-9+#]{3,}")
# Words every job description uses: matching them says nothing about the job.
_GENERIC = frozenset(
    "able about also complex experience expert good great have knowledge must need required "  # noqa: SIM905
    "requirements responsibilities role skills strong team that their there these they this "
    "using will with work working years your".split()
)
TEMPLATE = (
    "This role asks for: “{requirement}”. Tell me about a time your work met that need: what "
    "you did, the choices you made, and how it turned out."
)


def job_requirements(grounding: Sequence[str]) -> list[str]:
    """Bullet lines and need-stating sentences of the job description's passages, in order.

    Only the job description is quoted to a candidate: other documents staff attach may be
    internal, so they inform the choice of bank questions but are never quoted.
    """
    prefix = f"[{JOB_DESCRIPTION}] "
    found: dict[str, None] = {}
    for passage in grounding:
        if not passage.startswith(prefix):
            continue
        for line in passage[len(prefix) :].splitlines():
            if _BULLET.match(line):
                candidates = [_BULLET.sub("", line)]
            else:
                candidates = [s.text for s in sentences(line) if _NEED.search(s.text)]
            for text in candidates:
                text = " ".join(text.split()).strip(" .;:")
                if 3 <= len(text.split()) <= 40 and len(text) <= MAX_REQUIREMENT_CHARS:
                    found.setdefault(text, None)
    return list(found)


def _stem(word: str) -> str:
    # Enough to meet the bank's keywords halfway ("profiling" / "profile", "indexes" / "index")
    # without a stemming library: both sides are cut the same way.
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _GENERIC}


_Terms = tuple[tuple[frozenset[str], ...], frozenset[str]]
_TERMS: dict[str, _Terms] = {}  # by bank question id; hashing the question itself costs more


def _question_terms(question: BankQuestion) -> _Terms:
    """A bank question's keywords (each a set of stems: all must appear) and its words,
    computed once per process: the bank does not change while it runs."""
    cached = _TERMS.get(question.id)
    if cached is not None:
        return cached
    keywords = tuple(
        _keyword_stems(pattern) for point in question.rubric for pattern in point.patterns
    )
    words = _terms(question.text + " " + " ".join(p.point for p in question.rubric))
    terms = _TERMS[question.id] = (tuple(k for k in keywords if k), frozenset(words))
    return terms


def _keyword_stems(pattern: re.Pattern[str]) -> frozenset[str]:
    # The bank's keyword back from its pattern (offline_bank._pattern: the words joined by
    # WORD_GAP, between WORD_START and the optional SUFFIX).
    text = pattern.pattern
    if not text.startswith(WORD_START) or SUFFIX not in text:
        return frozenset()
    body = text[len(WORD_START) : text.rindex(SUFFIX)]
    return frozenset(_stem(re.sub(r"\\(.)", r"\1", part)) for part in body.split(WORD_GAP) if part)


def bank_match(question: BankQuestion, job_terms: set[str]) -> int:
    """How much a bank question is about what the job needs: its rubric keywords found among
    the job's words (worth two), and the other words it shares with them. Set operations on
    cached terms: about a microsecond a question, so ranking the whole bank costs nothing."""
    keywords, words = _question_terms(question)
    keyword_hits = sum(1 for keyword in keywords if keyword <= job_terms)
    return 2 * keyword_hits + len(words & job_terms)


def grounded_question(
    ctx: QuestionContext, candidates: Sequence[BankQuestion], *, provider: str
) -> GeneratedQuestion | None:
    """The question the job's passages choose, or None to leave the choice to the bank."""
    if not ctx.grounding:
        return None
    asked = {fold(q) for q in ctx.previous_questions}
    requirements = [
        r for r in job_requirements(ctx.grounding)
        if fold(TEMPLATE.format(requirement=r)) not in asked
    ]  # fmt: skip
    job_terms = _terms("\n".join(ctx.grounding))
    scored = [(bank_match(q, job_terms), -n, q) for n, q in enumerate(candidates)]
    best = max(scored, default=None, key=lambda item: item[:2])
    # Even-numbered questions ask about a stated requirement; the others take the bank
    # question that best matches the job, or a requirement when none matches at all.
    if requirements and (ctx.index % 2 == 0 or best is None or best[0] == 0):
        return _templated(requirements[0], provider)
    if best is not None and best[0] > 0:
        question = best[2]
        rubric = tuple(p.point for p in question.rubric)
        return GeneratedQuestion(question.text, rubric, "offline", provider, question.id)
    return None


def _templated(requirement: str, provider: str) -> GeneratedQuestion:
    rubric = (
        f"Describes concrete work of their own that meets: {requirement}",
        "Explains the choices they made and the trade-offs",
        "Says what the outcome was and what they would do differently",
    )
    key = "job:" + hashlib.sha256(requirement.encode()).hexdigest()[:12]
    return GeneratedQuestion(
        TEMPLATE.format(requirement=requirement), rubric, "offline", provider, key
    )
