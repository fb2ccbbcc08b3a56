"""The embeddings client against the fake LLM's /v1/embeddings and its fault modes, through
the `rag` breaker: it opens after 3 failures, sends nothing while open, and closes again."""

import math
import time
from typing import Any

import pytest

from interviews.fake_llm.server import FakeLLMHandle
from resilience.breakers import State, get_breaker
from resilience.breakers.registry import reset_registry
from retrieval.embeddings import embed
from retrieval.errors import RetrievalUnavailable
from tests.retrieval.conftest import RECOVERY_SECONDS

# Transactional: the breaker records its transitions from a background thread.
pytestmark = pytest.mark.django_db(transaction=True)


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _sent(fake: FakeLLMHandle) -> int:
    return int(fake.status()["by_path"].get("/v1/embeddings", 0))


def test_rag_breaker__defaults_are_3_failures_and_30_seconds(settings: Any) -> None:
    reset_registry()
    policy = get_breaker("rag").policy
    assert (policy.failure_threshold, policy.recovery_timeout) == (3, 30.0)


def test_embed__one_unit_vector_per_text_in_order(embeddings: FakeLLMHandle) -> None:
    texts = ["operating Kubernetes clusters", "Kubernetes operators", "baking sourdough bread"]
    vectors = embed(texts)
    assert len(vectors) == 3
    assert all(math.isclose(_cosine(v, v), 1.0, abs_tol=1e-6) for v in vectors)
    assert _cosine(vectors[0], vectors[1]) > _cosine(vectors[0], vectors[2]) + 0.2
    assert embed([texts[2]]) == [vectors[2]]


@pytest.mark.parametrize(
    "mode", ["error500", "rate_limit", "overloaded", "hang", "malformed", "drop", "trickle"]
)
def test_fault_mode__is_retrieval_unavailable_counted_by_the_breaker(
    embeddings: FakeLLMHandle, mode: str
) -> None:
    embeddings.control(mode=mode, retry_after=0, trickle_ms=200)
    started = time.monotonic()
    with pytest.raises(RetrievalUnavailable):
        embed(["Kafka consumer groups"])
    # Never longer than the retries' deadline plus one attempt's timeout.
    assert time.monotonic() - started < 0.5 * 2 + 0.5
    snapshot = get_breaker("rag").snapshot()
    assert snapshot.failures >= 1 or snapshot.state is State.OPEN


def test_rag_breaker__opens_after_3_failures_sends_nothing_while_open_and_closes_after(
    embeddings: FakeLLMHandle,
) -> None:
    embeddings.control(mode="error500")
    with pytest.raises(RetrievalUnavailable):
        embed(["first"])  # 3 attempts (the shared retry policy), 3 failures
    assert _sent(embeddings) == 3
    assert get_breaker("rag").snapshot().state is State.OPEN

    for _ in range(5):
        started = time.monotonic()
        with pytest.raises(RetrievalUnavailable, match="breaker is open"):
            embed(["while open"])
        assert time.monotonic() - started < 0.05
    assert _sent(embeddings) == 3  # not one request reached the dead endpoint

    embeddings.control(mode="ok")
    time.sleep(RECOVERY_SECONDS + 0.1)
    assert len(embed(["back"])) == 1  # the half-open trial succeeds
    assert get_breaker("rag").snapshot().state is State.CLOSED
    assert _sent(embeddings) == 4
