"""An LLM outage in the middle of a real interview, through the real services and the real
breaker registry: the breaker opens, questions from the cache and then fallback questions keep
the interview going, no turn is lost, and once the LLM is back a half-open trial brings the
LLM questions back."""

import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from interviews.fake_llm.server import FakeLLMHandle
from interviews.models import EvaluationStatus, Interview, InterviewStatus, Turn, TurnKind
from interviews.services.interviews import (
    interview_advance,
    interview_answer_submit,
    interview_start,
)
from resilience.background import breaker_side_effects
from resilience.breakers import State, get_breaker
from resilience.breakers.registry import reset_registry
from resilience.question_cache.backends import reset_backends
from resilience.question_cache.models import CachedQuestion
from resilience.question_cache.selectors import question_cache_stats
from resilience.question_cache.services import question_cache_counters_reset
from resilience.question_cache.tasks import prewarm_questions
from tests.factories import STRONG_ANSWER, make_interview
from tests.interviews.evaluation_support import eager_celery
from tests.interviews.llm_support import KEY, start_fake

# Transactional: the breaker writes its transitions from a background thread, which must not
# wait on a test transaction that never commits.
pytestmark = pytest.mark.django_db(transaction=True)

RECOVERY_SECONDS = 1.0


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeLLMHandle]:
    with contextlib.ExitStack() as stack:
        handle = start_fake(stack)
        settings.LLM_PROVIDERS = ["openai"]  # no offline: an outage must reach the fallback
        settings.OPENAI_BASE_URL = f"{handle.base_url}/v1"
        settings.OPENAI_API_KEY = KEY
        settings.LLM_TIMEOUT_SECONDS = 1.0
        settings.MAX_RETRY_ATTEMPTS = 3
        settings.RETRY_BASE_DELAY = 0.01
        settings.RETRY_MAX_DELAY = 0.05
        # A fresh store, and a breaker that opens after 3 failures and tries again after 1 s.
        settings.BREAKER_STORE = "resilience.breakers.stores.memory.MemoryStore"
        settings.BREAKERS = {
            "llm.openai": {
                "failure_threshold": 3,
                "recovery_timeout": RECOVERY_SECONDS,
                "recovery_backoff": 1.0,
                "half_open_max_calls": 1,
                "success_threshold": 1,
            }
        }
        reset_registry()
        try:
            yield handle
        finally:
            breaker_side_effects.drain(10)
            reset_registry()


def _answer(interview_id: int) -> None:
    interview_answer_submit(
        interview_id=interview_id, text=STRONG_ANSWER, client_msg_id=uuid.uuid4()
    )
    interview_advance(interview_id=interview_id)


@pytest.fixture(name="eager_celery")
def eager_celery_fixture() -> Iterator[None]:
    """Tasks enqueued on commit run in-process (the evaluation goes through the same gateway)."""
    with eager_celery():
        yield


def _interview_through_an_outage(fake: FakeLLMHandle) -> tuple[Interview, list[Turn]]:
    """A five-question interview in which the LLM fails from question 3 and is back for
    question 5; the finished interview and its questions, once every turn is checked."""
    interview_id = make_interview(question_count=5).interview.pk
    interview_start(interview_id=interview_id)
    interview_advance(interview_id=interview_id)  # question 1
    _answer(interview_id)  # question 2

    fake.control(mode="error500")
    _answer(interview_id)  # question 3: the follow-up check fails 3 times, the breaker opens
    breaker = get_breaker("llm.openai")
    assert breaker.snapshot().state == State.OPEN
    requests = fake.status()["requests"]
    _answer(interview_id)  # question 4: served without asking the LLM
    assert fake.status()["requests"] == requests, "an open breaker sends nothing upstream"

    fake.control(mode="ok")
    time.sleep(RECOVERY_SECONDS + 0.2)
    _answer(interview_id)  # question 5: the half-open trial succeeds
    assert breaker.snapshot().state == State.CLOSED
    _answer(interview_id)  # the end

    interview = Interview.objects.get(pk=interview_id)
    assert interview.status == InterviewStatus.COMPLETED
    turns = list(interview.turns.order_by("seq"))
    assert [t.seq for t in turns] == list(range(1, len(turns) + 1))
    assert [t.kind for t in turns] == [TurnKind.QUESTION, TurnKind.ANSWER] * 5 + [TurnKind.SYSTEM]
    questions = [t for t in turns if t.kind == TurnKind.QUESTION]
    assert [q.question_index for q in questions] == [1, 2, 3, 4, 5]
    assert len({q.text for q in questions}) == 5, "no question is asked twice"
    assert all(q.meta["rubric"] for q in questions)
    return interview, questions


@pytest.mark.usefixtures("eager_celery")
def test_llm_outage_mid_interview__fallback_keeps_it_going_then_llm_questions_return(
    fake: FakeLLMHandle,
) -> None:
    interview, questions = _interview_through_an_outage(fake)
    assert [(q.source, q.provider) for q in questions] == [
        ("llm", "openai"),
        ("llm", "openai"),
        ("fallback", "fallback"),
        ("fallback", "fallback"),
        ("llm", "openai"),
    ]
    evaluation = interview.evaluation
    assert (evaluation.status, evaluation.method) == (EvaluationStatus.DONE, "llm:openai")
    assert [q["question_source"] for q in evaluation.report["questions"]] == [
        "llm",
        "llm",
        "fallback",
        "fallback",
        "llm",
    ]


@pytest.mark.usefixtures("eager_celery")
def test_llm_outage_mid_interview__cache_then_fallback_keep_it_going_no_turn_lost(
    fake: FakeLLMHandle, settings: Any
) -> None:
    """The same outage with a pre-warmed question bank: after the breaker opens, the next
    question comes from the cache (without a request upstream); once the bank has nothing the
    candidate has not seen, the contextual fallback takes over."""
    settings.QUESTION_CACHE_BACKEND = "resilience.question_cache.backends.database.DatabaseBackend"
    settings.QUESTION_CACHE_SOURCE = "interviews.llm.prewarm_source.LLMQuestionSource"
    settings.QUESTION_CACHE_PREWARM = ["python:medium:en"]
    settings.QUESTION_CACHE_MAX_PER_KEY = 3
    reset_backends()
    question_cache_counters_reset()
    assert prewarm_questions()["stored"] == 3  # while the breaker is closed
    banked = set(CachedQuestion.objects.values_list("text", flat=True))

    interview, questions = _interview_through_an_outage(fake)
    assert [(q.source, q.provider) for q in questions] == [
        ("llm", "openai"),
        ("llm", "openai"),
        ("cache", "openai"),
        ("fallback", "fallback"),
        ("llm", "openai"),
    ]
    assert questions[2].text in banked - {questions[0].text, questions[1].text}
    stats = question_cache_stats()
    assert (stats.hits, stats.misses) == (1, 1)
    evaluation = interview.evaluation
    assert (evaluation.status, evaluation.method) == (EvaluationStatus.DONE, "llm:openai")
    assert [q["question_source"] for q in evaluation.report["questions"]] == [
        "llm",
        "llm",
        "cache",
        "fallback",
        "llm",
    ]
