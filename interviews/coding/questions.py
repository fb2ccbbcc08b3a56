"""The next coding question of an interview: from the offline bank today, whatever the first
provider (an LLM's coding question needs its reference solution tested first: see the chain).
"""

from interviews.coding.bank import coding_bank_pick
from interviews.coding.spec import CodingSpec
from interviews.llm.base import GeneratedQuestion, QuestionContext

# What a coding answer is judged on; the tests decide, these say what they decide.
CODING_RUBRIC = (
    "Passes the visible examples",
    "Passes the hidden tests (handles the edge cases, not only the examples)",
    "Readable, idiomatic code",
)


def coding_question_generate(
    ctx: QuestionContext, *, language: str, asked_keys: frozenset[str]
) -> GeneratedQuestion:
    spec = coding_bank_pick(
        language=language, difficulty=ctx.difficulty, seed=ctx.seed, asked=asked_keys
    )
    return coding_generated(spec, source="offline", provider="offline")


def coding_generated(spec: CodingSpec, *, source: str, provider: str) -> GeneratedQuestion:
    return GeneratedQuestion(
        text=f"**{spec.title}**\n\n{spec.statement}",
        rubric=CODING_RUBRIC,
        source=source,  # type: ignore[arg-type]
        provider=provider,
        key=spec.key,
        coding=spec,
    )
