"""The question cache (resilience, generic) seen as the gateway's QuestionBank.

The pre-warm source that fills the cache from the LLM is interviews/llm/prewarm_source.py: it
needs the gateway, which needs this module, so the two live apart.

The cache stores text plus opaque metadata; this module is where a GeneratedQuestion becomes
a cache entry and back. Only questions an LLM wrote are kept: offline questions are seeded
(the same seed gives the same question, so they are reproducible and never need a cache) and
fallbacks are generic. The chain asks the offline interviewer before the bank, so seeded
generation never reads the cache either.
"""

from collections.abc import Collection
from typing import Any

from interviews.llm.base import GeneratedQuestion
from resilience.question_cache.backends import CacheEntry
from resilience.question_cache.services import question_cache_get, question_cache_offer


def entry_question(entry: CacheEntry) -> GeneratedQuestion:
    rubric = entry.metadata.get("rubric", ())
    return GeneratedQuestion(
        text=entry.text,
        rubric=tuple(str(item) for item in rubric) if isinstance(rubric, list | tuple) else (),
        source="cache",
        # The model that first wrote it: the transcript says who wrote what the candidate saw.
        provider=str(entry.metadata.get("provider") or "cache"),
    )


def question_metadata(question: GeneratedQuestion) -> dict[str, Any]:
    return {"rubric": list(question.rubric), "provider": question.provider}


class QuestionCacheBank:
    """The QuestionBank the gateway uses (gateway.question_bank)."""

    def get(
        self, *, difficulty: str, language: str, topic: str, exclude: Collection[str] = ()
    ) -> GeneratedQuestion | None:
        entry = question_cache_get(
            difficulty=difficulty, language=language, topic=topic, exclude=exclude
        )
        return None if entry is None else entry_question(entry)

    def put(
        self, *, difficulty: str, language: str, topic: str, question: GeneratedQuestion
    ) -> None:
        if question.source != "llm":
            return
        # Stored in the background: the candidate is waiting for this very question.
        question_cache_offer(
            difficulty=difficulty,
            language=language,
            topic=topic,
            text=question.text,
            metadata=question_metadata(question),
        )
