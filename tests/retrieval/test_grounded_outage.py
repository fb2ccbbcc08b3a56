"""An interview through an embeddings outage, in hybrid mode: grounded while the endpoint is
healthy, ungrounded at once while it fails (the rag breaker opens, and then no request reaches
the dead endpoint), grounded again once it is back.

The fake LLM's /v1/embeddings, the rag breaker in Redis, the turn path and lexical search are
real. pgvector is not installed on this machine, so search is told the vector column exists
and the vector ranking returns nothing: what is under test is every call out, not pgvector."""

import time
from typing import Any

import pytest

from interviews.fake_llm.server import FakeLLMHandle
from interviews.models import Turn, TurnKind
from interviews.services.interviews import interview_advance, interview_create, interview_start
from resilience.breakers import State, get_breaker
from retrieval.services import documents, search
from tests.interviews.test_grounded_interviews import DATA_JOB, _ask_next, _position
from tests.retrieval.conftest import RECOVERY_SECONDS

pytestmark = pytest.mark.django_db(transaction=True)


def _sent(fake: FakeLLMHandle) -> int:
    return int(fake.status()["by_path"].get("/v1/embeddings", 0))


def test_embeddings_outage__ungrounded_at_once_breaker_open_then_grounded_again(
    embeddings: FakeLLMHandle, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.setattr(search, "vectors_available", lambda: True)
    monkeypatch.setattr(search, "nearest", lambda **kwargs: [])
    monkeypatch.setattr(documents, "vectors_available", lambda: False)  # no column to fill
    assert search.search_mode() == "hybrid"
    interview_id = interview_create(
        candidate_name="G", position=_position("Data", DATA_JOB)
    ).interview.pk
    interview_start(interview_id=interview_id)
    interview_advance(interview_id=interview_id)
    first = Turn.objects.get(interview_id=interview_id, kind=TurnKind.QUESTION)
    assert first.meta["grounding"] == "grounded"
    assert _sent(embeddings) == 1

    embeddings.control(mode="error500")
    started = time.monotonic()
    second = _ask_next(interview_id)
    assert time.monotonic() - started < 1.0
    assert (second.kind, second.meta["grounding"]) == (TurnKind.QUESTION, "ungrounded")
    assert get_breaker("rag").snapshot().state is State.OPEN
    sent = _sent(embeddings)

    started = time.monotonic()
    third = _ask_next(interview_id)
    assert time.monotonic() - started < 0.5
    assert third.meta["grounding"] == "ungrounded"
    assert _sent(embeddings) == sent  # the breaker is open: nothing reached the endpoint

    embeddings.control(mode="ok")
    time.sleep(RECOVERY_SECONDS + 0.1)
    fourth = _ask_next(interview_id)
    assert fourth.meta["grounding"] == "grounded"
    assert fourth.meta["citations"]
    assert get_breaker("rag").snapshot().state is State.CLOSED
