"""The question cache (resilience, generic) seen as the gateway's QuestionBank, and the LLM as
the cache's pre-warm source.

The cache stores text plus opaque metadata; this module is where a GeneratedQuestion becomes
a cache entry and back. Only questions an LLM wrote are kept: offline questions are seeded
(the same seed gives the same question, so they are reproducible and never need a cache) and
fallbacks are generic. The chain asks the offline interviewer before the bank, so seeded
generation never reads the cache either.
"""

import logging
from collections.abc import Collection, Sequence
from typing import Any

from django.conf import settings

from interviews.llm.base import GeneratedQuestion, QuestionContext
from interviews.llm.budget import Deadline
from resilience.breakers import BreakerOpen, get_breaker
from resilience.question_cache.backends import CacheEntry
from resilience.question_cache.prewarm import SourceQuestion
from resilience.question_cache.services import question_cache_get, question_cache_offer

logger = logging.getLogger(__name__)

# The cache key has no role: pre-warmed questions must read well for anyone on the topic.
PREWARM_ROLE = "professional"


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


class LLMQuestionSource:
    """The pre-warm source (QUESTION_CACHE_SOURCE): the remote providers of LLM_PROVIDERS, in
    order, one attempt each through their breakers. Nothing here retries or falls back:
    a question that cannot be written now is written by the next run."""

    def __init__(self) -> None:
        # Imported here: the gateway imports this module to build its question bank.
        from interviews.llm.gateway import get_interviewer
        from interviews.llm.providers.remote import RemoteInterviewer

        self.providers = [
            p for p in get_interviewer().providers if isinstance(p, RemoteInterviewer)
        ]

    def breaker_names(self) -> Sequence[str]:
        from interviews.llm.chain import breaker_name

        return [breaker_name(p.name) for p in self.providers]

    def generate(
        self, *, topic: str, difficulty: str, language: str, avoid: Sequence[str]
    ) -> SourceQuestion | None:
        from interviews.llm.chain import EXPECTED_FAILURES, breaker_name

        ctx = QuestionContext(
            role=PREWARM_ROLE,
            topic=topic,
            difficulty=difficulty,  # type: ignore[arg-type]  # validated by the cache
            language=language,
            index=len(avoid) + 1,
            total=int(settings.QUESTION_CACHE_MAX_PER_KEY),
            previous_questions=tuple(avoid),
        )
        for provider in self.providers:
            deadline = Deadline.after(float(settings.LLM_TIMEOUT_SECONDS))
            try:
                question = get_breaker(breaker_name(provider.name)).call(
                    provider.generate_question, ctx, deadline=deadline
                )
            except BreakerOpen:
                continue
            except EXPECTED_FAILURES as exc:
                logger.warning("pre-warm: %s could not write a question: %s", provider.name, exc)
                continue
            return SourceQuestion(question.text, question_metadata(question))
        return None
