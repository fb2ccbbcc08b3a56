import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from interviews.fake_llm.server import FakeLLMHandle
from resilience.background import breaker_side_effects
from resilience.breakers import get_breaker
from resilience.breakers.registry import expire_policies, reset_registry
from resilience.breakers.services import breaker_config_ensure
from resilience.models import BreakerConfig
from tests.interviews.llm_support import KEY, reset, start_fake

RECOVERY_SECONDS = 1.0


@pytest.fixture
def embeddings(settings: Any, redis_url: str) -> Iterator[FakeLLMHandle]:
    """The fake LLM's /v1/embeddings as the embeddings endpoint, through the real `rag`
    breaker in the shared Redis store, with a 1 s recovery so a test can see it close."""
    with contextlib.ExitStack() as stack:
        handle = reset(start_fake(stack))
        settings.EMBEDDINGS_BASE_URL = f"{handle.base_url}/v1"
        settings.EMBEDDINGS_API_KEY = KEY
        settings.EMBEDDINGS_MODEL = "fake-embedding"
        settings.EMBEDDINGS_TIMEOUT_SECONDS = 0.5
        settings.MAX_RETRY_ATTEMPTS = 3
        settings.RETRY_BASE_DELAY = 0.01
        settings.RETRY_MAX_DELAY = 0.05
        settings.BREAKER_STORE = "resilience.breakers.stores.redis.RedisStore"
        reset_registry()
        # The rag row exists from migrate on (post_migrate): edited as an operator would.
        breaker_config_ensure(name="rag")
        BreakerConfig.objects.filter(name="rag").update(
            failure_threshold=3,
            recovery_timeout=RECOVERY_SECONDS,
            recovery_backoff=1.0,
            half_open_max_calls=1,
            success_threshold=1,
        )
        expire_policies()
        breaker = get_breaker("rag")
        breaker.store.reset("rag", breaker.policy)
        try:
            yield handle
        finally:
            breaker_side_effects.drain(10)
            breaker.store.reset("rag", breaker.policy)
            reset_registry()
