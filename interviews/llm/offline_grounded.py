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
from interviews.llm.offline_bank import BankQuestion
from interviews.prose import fold, sentences

MAX_REQUIREMENT_CHARS = 200
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


def _terms(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _GENERIC}


def bank_match(question: BankQuestion, job_text: str, job_terms: set[str]) -> int:
    """How much a bank question is about what the job needs: its rubric keywords found in the
    job's passages, and the words it shares with them."""
    keyword_hits = sum(1 for point in question.rubric if point.hits(job_text))
    words = _terms(question.text + " " + " ".join(p.point for p in question.rubric))
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
    job_text = "\n".join(ctx.grounding)
    job_terms = _terms(job_text)
    scored = [(bank_match(q, job_text, job_terms), -n, q) for n, q in enumerate(candidates)]
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
