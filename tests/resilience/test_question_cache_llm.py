"""The question cache plugged into the LLM gateway, against the fake LLM over real HTTP: a hit
costs the provider nothing, LLM questions fill the cache, seeded (offline) generation bypasses
it, and the pre-warm task fills the bank while the breakers are closed and only then. Also the
start-up check of the cache settings."""

import contextlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F
from django.utils import timezone

from interviews.fake_llm.server import FakeLLMHandle
from interviews.llm.base import QuestionContext
from interviews.llm.gateway import get_interviewer, reset_interviewer
from resilience.background import breaker_side_effects
from resilience.breakers import State, get_breaker
from resilience.breakers.registry import reset_registry
from resilience.question_cache.backends import CacheEntry, get_backend, reset_backends
from resilience.question_cache.backends.memory import MemoryBackend
from resilience.question_cache.checks import check_question_cache_settings
from resilience.question_cache.keys import cache_key
from resilience.question_cache.models import CachedQuestion
from resilience.question_cache.selectors import question_cache_stats
from resilience.question_cache.services import (
    question_cache_counters_reset,
    question_cache_offers_drain,
    question_cache_put,
)
from resilience.question_cache.tasks import prewarm_questions, purge_expired_questions
from tests.interviews.llm_support import KEY, start_fake

# Transactional: the breaker writes its transitions from a background thread.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgres_required", "redis_url"),
]

SOURCE = "interviews.llm.prewarm_source.LLMQuestionSource"


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeLLMHandle]:
    with contextlib.ExitStack() as stack:
        handle = start_fake(stack)
        settings.LLM_PROVIDERS = ["openai"]
        settings.OPENAI_BASE_URL = f"{handle.base_url}/v1"
        settings.OPENAI_API_KEY = KEY
        settings.LLM_TIMEOUT_SECONDS = 1.0
        settings.MAX_RETRY_ATTEMPTS = 3
        settings.RETRY_BASE_DELAY = 0.01
        settings.RETRY_MAX_DELAY = 0.05
        settings.BREAKER_STORE = "resilience.breakers.stores.memory.MemoryStore"
        settings.BREAKERS = {"llm.openai": {"failure_threshold": 3, "recovery_timeout": 60}}
        settings.QUESTION_CACHE_BACKEND = (
            "resilience.question_cache.backends.database.DatabaseBackend"
        )
        settings.QUESTION_CACHE_SOURCE = SOURCE
        settings.QUESTION_CACHE_MAX_PER_KEY = 3
        reset_registry()
        reset_interviewer()
        reset_backends()
        question_cache_counters_reset()
        try:
            yield handle
        finally:
            breaker_side_effects.drain(10)
            reset_registry()
            reset_interviewer()
            question_cache_counters_reset()


def ctx(index: int, *previous: str) -> QuestionContext:
    return QuestionContext("Backend engineer", "python", "medium", "en", index, 5, previous)


def generated(fake: FakeLLMHandle) -> int:
    return int(fake.status()["by_task"].get("generate_question", 0))


def open_breaker(fake: FakeLLMHandle) -> None:
    # LLM questions are stored in the background: have the ones written so far in the cache.
    assert question_cache_offers_drain()
    fake.control(mode="error500")
    get_interviewer().generate_question(ctx(9))  # three failed attempts: the threshold
    assert get_breaker("llm.openai").snapshot().state == State.OPEN


def test_llm_question__is_kept_and_served_on_a_hit_without_calling_the_provider(
    fake: FakeLLMHandle,
) -> None:
    written = get_interviewer().generate_question(ctx(1))
    assert written.source == "llm"
    open_breaker(fake)
    requests = fake.status()["requests"]

    served = get_interviewer().generate_question(ctx(2))

    assert (served.source, served.provider, served.text) == ("cache", "openai", written.text)
    assert served.rubric == written.rubric
    assert fake.status()["requests"] == requests, "a cache hit sends nothing upstream"
    stats = question_cache_stats()
    assert (stats.total_questions, stats.hits) == (1, 2)  # open_breaker's step was a hit too


class BlockedStoreBackend(MemoryBackend):
    """Stores only once the test lets it: a cache write that takes its time."""

    released = threading.Event()

    def store(self, *, entry: CacheEntry, max_per_key: int) -> bool:
        assert self.released.wait(10), "the test never released the store"
        return super().store(entry=entry, max_per_key=max_per_key)


def test_llm_question__reaches_the_candidate_without_waiting_for_the_cache_store(
    fake: FakeLLMHandle, settings: Any
) -> None:
    settings.QUESTION_CACHE_BACKEND = f"{__name__}.BlockedStoreBackend"
    reset_backends()
    BlockedStoreBackend.released.clear()
    try:
        written = get_interviewer().generate_question(ctx(1))  # returns with the store blocked
        assert written.source == "llm"
        assert get_backend().stats(now=timezone.now()).total_questions == 0
    finally:
        BlockedStoreBackend.released.set()
    assert question_cache_offers_drain()
    key = cache_key(difficulty="medium", language="en", topic="python")
    stored = get_backend().variants(key=key, now=timezone.now())
    assert [entry.text for entry in stored] == [written.text]
    reset_backends()


def test_cache_miss__the_contextual_fallback_answers(fake: FakeLLMHandle) -> None:
    written = get_interviewer().generate_question(ctx(1))
    open_breaker(fake)

    served = get_interviewer().generate_question(ctx(2, written.text))

    assert served.source == "fallback"
    assert question_cache_stats().misses == 1


def test_seeded_offline_generation__bypasses_the_cache(fake: FakeLLMHandle, settings: Any) -> None:
    get_interviewer().generate_question(ctx(1))
    settings.LLM_PROVIDERS = ["openai", "offline"]
    reset_interviewer()
    open_breaker(fake)

    served = get_interviewer().generate_question(ctx(2))

    assert served.source == "offline"
    assert CachedQuestion.objects.count() == 1, "offline questions are never stored"
    stats = question_cache_stats()
    assert (stats.hits, stats.misses) == (0, 0), "the cache was not even read"


def test_prewarm__fills_every_item_to_max_per_key_then_stops_calling(
    fake: FakeLLMHandle, settings: Any
) -> None:
    settings.QUESTION_CACHE_PREWARM = ["python:medium:en", "Django ORM:hard:de"]

    report = prewarm_questions()

    assert (report["stored"], report["stopped"]) == (6, "")
    assert report["per_item"] == {"python:medium:en": 3, "Django ORM:hard:de": 3}
    assert generated(fake) == 6
    assert question_cache_stats().by_language == {"de": 3, "en": 3}
    assert len(set(CachedQuestion.objects.values_list("text", flat=True))) == 6

    again = prewarm_questions()

    assert (again["stored"], again["full"]) == (0, 2)
    assert generated(fake) == 6, "a full bank costs no provider call"


def test_prewarm__does_nothing_while_a_breaker_is_open(fake: FakeLLMHandle, settings: Any) -> None:
    settings.QUESTION_CACHE_PREWARM = ["python:medium:en"]
    open_breaker(fake)
    requests = fake.status()["requests"]

    report = prewarm_questions()

    assert (report["stored"], report["stopped"]) == (0, "breaker_not_closed:llm.openai")
    assert fake.status()["requests"] == requests
    assert not CachedQuestion.objects.exists()


def test_prewarm__a_failing_provider_stops_the_run_and_stores_nothing(
    fake: FakeLLMHandle, settings: Any
) -> None:
    settings.QUESTION_CACHE_PREWARM = ["python:medium:en"]
    fake.control(mode="error500")

    report = prewarm_questions()

    assert (report["stored"], report["stopped"]) == (0, "source_unavailable")
    assert generated(fake) == 1, "one attempt; the next run tries again"
    assert not CachedQuestion.objects.exists()


def test_prewarm__without_a_source_or_items_is_a_no_op(fake: FakeLLMHandle, settings: Any) -> None:
    assert prewarm_questions() == {"stopped": "nothing_configured"}
    settings.QUESTION_CACHE_PREWARM = ["python:medium:en"]
    settings.QUESTION_CACHE_SOURCE = ""

    assert prewarm_questions() == {"stopped": "no_source"}
    assert generated(fake) == 0


def test_prewarm__malformed_items_fail_with_every_bad_item_named(settings: Any) -> None:
    settings.QUESTION_CACHE_PREWARM = ["python:medium:en", "python-medium-en", "go:extreme:en"]

    with pytest.raises(ImproperlyConfigured) as raised:
        prewarm_questions()

    assert "'python-medium-en' is not 'topic:difficulty:language'" in str(raised.value)
    assert "'go:extreme:en': unknown difficulty 'extreme'" in str(raised.value)


def test_purge_task__deletes_expired_questions_only(settings: Any) -> None:
    settings.QUESTION_CACHE_BACKEND = "resilience.question_cache.backends.database.DatabaseBackend"
    reset_backends()
    for text in ("Old question?", "New question?"):
        question_cache_put(difficulty="easy", language="en", topic="python", text=text)
    week = timedelta(days=8)
    CachedQuestion.objects.filter(text="Old question?").update(
        created_at=F("created_at") - week, expires_at=F("expires_at") - week
    )

    assert purge_expired_questions() == 1
    assert list(CachedQuestion.objects.values_list("text", flat=True)) == ["New question?"]


@pytest.mark.parametrize(
    ("overrides", "ids"),
    [
        ({}, []),
        ({"QUESTION_CACHE_PREWARM": ["c++: templates:hard:en", "http/2:easy:pt-BR"]}, []),
        ({"QUESTION_CACHE_PREWARM": ["python", "x:medium:e n", ":easy:en"]}, ["E023"] * 3),
        ({"QUESTION_CACHE_PREWARM": "python:medium:en"}, ["E023"]),
        ({"QUESTION_CACHE_BACKEND": "nowhere.Backend"}, ["E020"]),
        ({"QUESTION_CACHE_BACKEND": "resilience.question_cache.keys.Difficulty"}, ["E020"]),
        ({"QUESTION_CACHE_TTL_DAYS": 0, "QUESTION_CACHE_MAX_PER_KEY": -1}, ["E021", "E022"]),
        ({"QUESTION_CACHE_SOURCE": "nowhere.Source"}, ["E024"]),
        ({"QUESTION_CACHE_SOURCE": "", "QUESTION_CACHE_PREWARM": ["python:easy:en"]}, ["W020"]),
    ],
)
def test_settings_check__names_each_bad_setting(
    settings: Any, overrides: dict[str, Any], ids: list[str]
) -> None:
    settings.QUESTION_CACHE_SOURCE = SOURCE
    for name, value in overrides.items():
        setattr(settings, name, value)

    messages = check_question_cache_settings()

    assert [m.id for m in messages] == [f"resilience.{id_}" for id_ in ids]
