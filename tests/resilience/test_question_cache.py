"""The question cache's behaviour through its services, on every backend (real PostgreSQL for
the database one, real Redis for the hit/miss counters): keys, TTL, eviction at
QUESTION_CACHE_MAX_PER_KEY, dedupe, random variants, stats, clear, purge, and
a failing backend or counter store served as a miss."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from resilience.question_cache.backends import CacheEntry, get_backend, reset_backends
from resilience.question_cache.backends.memory import MemoryBackend
from resilience.question_cache.keys import InvalidCacheInput, cache_key
from resilience.question_cache.models import CachedQuestion
from resilience.question_cache.selectors import question_cache_stats
from resilience.question_cache.services import (
    question_cache_clear,
    question_cache_counters_reset,
    question_cache_get,
    question_cache_purge_expired,
    question_cache_put,
)
from resilience.question_cache.tasks import prewarm_questions, purge_expired_questions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres_required", "redis_url")]

BACKENDS = {
    "database": "resilience.question_cache.backends.database.DatabaseBackend",
    "memory": "resilience.question_cache.backends.memory.MemoryBackend",
}
KEY: dict[str, Any] = {"difficulty": "medium", "language": "en", "topic": "Django ORM"}


class BrokenBackend(MemoryBackend):
    """A backend whose storage is down: every operation raises, as a lost database would."""

    def variants(self, *, key: str, now: Any) -> list[CacheEntry]:
        raise DatabaseError("connection refused")

    def store(self, *, entry: CacheEntry, max_per_key: int) -> bool:
        raise DatabaseError("connection refused")


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    settings.QUESTION_CACHE_BACKEND = BACKENDS[request.param]
    settings.QUESTION_CACHE_TTL_DAYS = 7
    settings.QUESTION_CACHE_MAX_PER_KEY = 10
    reset_backends()
    question_cache_counters_reset()
    yield request.param
    reset_backends()
    question_cache_counters_reset()


class Travel:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self._real = timezone.now
        self.offset = timedelta()

    def __call__(self, **delta: float) -> None:
        self.offset += timedelta(**delta)
        self._monkeypatch.setattr(timezone, "now", lambda: self._real() + self.offset)


@pytest.fixture
def travel(monkeypatch: pytest.MonkeyPatch) -> Travel:
    return Travel(monkeypatch)


def put(text: str, **key: str) -> bool:
    return question_cache_put(text=text, **{**KEY, **key})


def get(**kwargs: Any) -> CacheEntry | None:
    return question_cache_get(**{**KEY, **kwargs})


def texts(**key: str) -> set[str]:
    """Every variant the key serves (a lookup per variant, excluding what was seen)."""
    seen: list[str] = []
    while (entry := get(exclude=seen, **key)) is not None:
        seen.append(entry.text)
    return set(seen)


def test_put_then_get__serves_the_question_with_its_metadata(backend: str) -> None:
    assert question_cache_put(**KEY, text="What is a QuerySet?", metadata={"rubric": ["lazy"]})

    entry = get()

    assert entry is not None
    assert (entry.text, dict(entry.metadata)) == ("What is a QuerySet?", {"rubric": ["lazy"]})
    assert (entry.difficulty, entry.language, entry.topic) == ("medium", "en", "django orm")
    assert entry.expires_at - entry.created_at == timedelta(days=7)


def test_key__topic_case_and_spacing_do_not_matter_difficulty_and_language_do(
    backend: str,
) -> None:
    put("What is a QuerySet?")

    assert get(topic="  django   ORM ") is not None
    assert get(topic="django") is None
    assert get(difficulty="hard") is None
    assert get(language="de") is None
    assert cache_key(**KEY) == cache_key(**{**KEY, "topic": "DJANGO orm", "language": "EN"})


def test_ttl__a_question_is_served_until_ttl_days_then_never(backend: str, travel: Travel) -> None:
    put("What is a QuerySet?")

    travel(days=7, seconds=-1)
    assert get() is not None
    travel(seconds=2)
    assert get() is None
    assert question_cache_stats().total_questions == 0


def test_ttl__follows_the_setting(backend: str, settings: Any, travel: Travel) -> None:
    settings.QUESTION_CACHE_TTL_DAYS = 1
    put("What is a QuerySet?")

    travel(hours=25)

    assert get() is None


def test_eviction__the_eleventh_variant_evicts_the_oldest(backend: str, travel: Travel) -> None:
    for n in range(1, 12):
        assert put(f"Question number {n}?")
        travel(seconds=1)

    assert texts() == {f"Question number {n}?" for n in range(2, 12)}
    assert question_cache_stats().total_questions == 10


def test_eviction__follows_the_setting_and_leaves_other_keys_alone(
    backend: str, settings: Any
) -> None:
    settings.QUESTION_CACHE_MAX_PER_KEY = 2
    put("Other key question?", difficulty="easy")
    for n in range(1, 4):
        put(f"Question number {n}?")

    assert texts() == {"Question number 2?", "Question number 3?"}
    assert texts(difficulty="easy") == {"Other key question?"}


def test_dedupe__the_same_question_up_to_case_punctuation_and_spacing_is_stored_once(
    backend: str,
) -> None:
    assert put("What is a QuerySet?")
    assert not put("what is a  queryset")
    assert not put("  WHAT IS A QUERYSET?!  ")

    assert texts() == {"What is a QuerySet?"}


def test_dedupe__an_expired_copy_does_not_block_a_fresh_one(backend: str, travel: Travel) -> None:
    put("What is a QuerySet?")
    travel(days=8)

    assert put("What is a QuerySet?")
    assert get() is not None


def test_get__never_serves_a_question_in_exclude(backend: str) -> None:
    put("First question?")
    put("Second question?")

    entry = get(exclude=["first question", "Something else?"])

    assert entry is not None
    assert entry.text == "Second question?"
    assert get(exclude=["First question?", "Second question?"]) is None


def test_get__picks_a_random_variant(backend: str) -> None:
    for n in range(1, 4):
        put(f"Question number {n}?")

    served = {entry.text for _ in range(200) if (entry := get()) is not None}

    assert served == {"Question number 1?", "Question number 2?", "Question number 3?"}


def test_stats__keys_questions_by_difficulty_and_language_hits_misses_and_rate(
    backend: str,
) -> None:
    put("Medium English one?")
    put("Medium English two?")
    put("Hard English?", difficulty="hard")
    put("Medium German?", language="de")
    put("Other topic?", topic="celery")
    get()
    get(difficulty="easy")
    get(difficulty="easy")
    get(language="de")

    stats = question_cache_stats()

    assert (stats.total_keys, stats.total_questions, stats.expired) == (4, 5, 0)
    assert list(stats.by_difficulty.items()) == [("medium", 4), ("hard", 1)]
    assert list(stats.by_language.items()) == [("de", 1), ("en", 4)]
    assert (stats.hits, stats.misses, stats.lookups) == (2, 2, 4)
    assert stats.hit_rate == 0.5


def test_stats__before_any_lookup_the_hit_rate_is_unknown(backend: str) -> None:
    stats = question_cache_stats()

    assert (stats.total_keys, stats.hits, stats.misses, stats.hit_rate) == (0, 0, 0, None)


def test_clear__by_difficulty_by_language_then_everything(backend: str) -> None:
    put("Medium English?")
    put("Hard English?", difficulty="hard")
    put("Hard German?", difficulty="hard", language="de")
    put("Easy German?", difficulty="easy", language="de")

    assert question_cache_clear(difficulty="hard", language="de") == 1
    assert question_cache_clear(difficulty="hard") == 1
    assert question_cache_clear(language="DE") == 1
    assert question_cache_stats().by_difficulty == {"medium": 1}
    assert question_cache_clear() == 1
    assert question_cache_stats().total_questions == 0


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"difficulty": "extreme"}, "unknown difficulty 'extreme'"),
        ({"language": "en gb!"}, "malformed language 'en gb!'"),
    ],
)
def test_clear__bad_filter_is_refused_and_clears_nothing(
    backend: str, filters: dict[str, str], message: str
) -> None:
    put("What is a QuerySet?")

    with pytest.raises(InvalidCacheInput, match=message):
        question_cache_clear(**filters)

    assert question_cache_stats().total_questions == 1


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ({"difficulty": "extreme"}, "unknown difficulty"),
        ({"language": ""}, "malformed language"),
        ({"topic": "   "}, "the topic is empty"),
    ],
)
def test_bad_key__put_and_get_raise_a_clear_error(
    backend: str, key: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidCacheInput, match=message):
        put("What is a QuerySet?", **key)
    with pytest.raises(InvalidCacheInput, match=message):
        get(**key)


def test_put__a_text_without_words_is_refused(backend: str) -> None:
    with pytest.raises(InvalidCacheInput, match="no words"):
        put(" ?! ")


def test_purge__removes_expired_questions_only(backend: str, travel: Travel) -> None:
    put("Old question?")
    travel(days=5)
    put("New question?")
    travel(days=3)
    assert question_cache_stats().expired == 1

    assert question_cache_purge_expired() == 1

    stats = question_cache_stats()
    assert (stats.total_questions, stats.expired) == (1, 0)
    assert texts() == {"New question?"}


def test_backend_down__lookup_is_a_miss_and_store_is_skipped(settings: Any) -> None:
    settings.QUESTION_CACHE_BACKEND = f"{__name__}.BrokenBackend"
    reset_backends()
    question_cache_counters_reset()

    assert get() is None
    assert not put("What is a QuerySet?")
    assert question_cache_stats().misses == 1
    reset_backends()


def test_counters_down__lookups_still_served_and_stats_say_unavailable(
    backend: str, settings: Any
) -> None:
    put("What is a QuerySet?")
    # Nothing listens on port 1: every counter update and read fails at once.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    entry = get()

    assert entry is not None
    assert entry.text == "What is a QuerySet?"
    stats = question_cache_stats()
    assert (stats.total_questions, stats.hits, stats.hit_rate) == (1, None, None)
    assert not question_cache_counters_reset()


def test_backend_setting__picks_the_backend_by_dotted_path(settings: Any) -> None:
    settings.QUESTION_CACHE_BACKEND = BACKENDS["memory"]
    reset_backends()

    put("Kept in memory?")

    assert isinstance(get_backend(), MemoryBackend)
    assert not CachedQuestion.objects.exists()
    reset_backends()


@pytest.mark.django_db(transaction=True)
def test_concurrent_stores__one_key_never_holds_more_than_max_per_key(settings: Any) -> None:
    """Eight processes' worth of writers on one key at once (threads, each with its own
    PostgreSQL connection): the per-key lock keeps the limit exact."""
    settings.QUESTION_CACHE_BACKEND = BACKENDS["database"]
    settings.QUESTION_CACHE_MAX_PER_KEY = 10
    reset_backends()
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for m in range(5):
                put(f"Question {n}-{m}?")
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(writer, range(8)))

    assert CachedQuestion.objects.filter(key=cache_key(**KEY)).count() == 10
    reset_backends()


def test_beat_schedules__purge_and_prewarm_registered_and_expire_before_their_next_run() -> None:
    from django_celery_beat.models import PeriodicTask

    tasks = PeriodicTask.objects.filter(name__startswith="Question cache").select_related(
        "interval"
    )

    schedules = {t.task: (t.interval.every * 60, t.expire_seconds, t.queue) for t in tasks}
    assert schedules == {
        "resilience.tasks.question_cache.purge_expired_questions": (3600, 3000, "maintenance"),
        "resilience.tasks.question_cache.prewarm_questions": (1800, 1500, "maintenance"),
    }
    assert set(schedules) == {prewarm_questions.name, purge_expired_questions.name}
