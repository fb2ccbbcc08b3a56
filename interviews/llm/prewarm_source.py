"""The LLM as the question cache's pre-warm source (QUESTION_CACHE_SOURCE)."""

import logging
from collections.abc import Sequence

from django.conf import settings

from interviews.llm.base import QuestionContext
from interviews.llm.budget import Deadline
from interviews.llm.cache_adapter import question_metadata
from interviews.llm.errors import ProviderUnavailable
from interviews.llm.gateway import remote_providers
from interviews.llm.guarded import RetryPolicy, breaker_name
from resilience.question_cache.prewarm import SourceQuestion

logger = logging.getLogger(__name__)

# The cache key has no role: pre-warmed questions must read well for anyone on the topic.
PREWARM_ROLE = "professional"
ONE_ATTEMPT = RetryPolicy(attempts=1, base_delay=0.0, max_delay=0.0)


class LLMQuestionSource:
    """The pre-warm source (QUESTION_CACHE_SOURCE): the remote providers of LLM_PROVIDERS, in
    order, one attempt each through their breakers. Nothing here retries or falls back:
    a question that cannot be written now is written by the next run."""

    def __init__(self) -> None:
        self.providers = remote_providers(retry=ONE_ATTEMPT)

    def breaker_names(self) -> Sequence[str]:
        return [breaker_name(p.name) for p in self.providers]

    def generate(
        self, *, topic: str, difficulty: str, language: str, avoid: Sequence[str]
    ) -> SourceQuestion | None:
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
                question = provider.generate_question(ctx, deadline=deadline)
            except ProviderUnavailable as exc:
                logger.info("pre-warm: %s could not write a question: %s", provider.name, exc)
                continue
            return SourceQuestion(question.text, question_metadata(question))
        return None
