"""The question cache admin: entries with a statistics panel, clearing by filter through the
service (bad filters refused with a message), counters reset."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from resilience.question_cache.backends import reset_backends
from resilience.question_cache.models import CachedQuestion
from resilience.question_cache.services import (
    question_cache_counters_reset,
    question_cache_get,
    question_cache_put,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.resilience.urls"),
    pytest.mark.usefixtures("postgres_required", "redis_url"),
]

CHANGELIST = "admin:resilience_cachedquestion_changelist"
CLEAR = "admin:resilience_question_cache_clear"


@pytest.fixture(autouse=True)
def database_backend(settings: Any) -> Iterator[None]:
    settings.QUESTION_CACHE_BACKEND = "resilience.question_cache.backends.database.DatabaseBackend"
    reset_backends()
    question_cache_counters_reset()
    yield
    question_cache_counters_reset()


@pytest.fixture
def staff(admin_user: User, client: Client) -> User:
    client.force_login(admin_user)
    return admin_user


def fill() -> None:
    for difficulty, language, text in [
        ("medium", "en", "Medium English?"),
        ("hard", "en", "Hard English?"),
        ("hard", "de", "Hard German?"),
    ]:
        question_cache_put(difficulty=difficulty, language=language, topic="python", text=text)


def panel(client: Client) -> str:
    page: str = client.get(reverse(CHANGELIST)).content.decode()
    start = page.index('id="question-cache-stats"')
    return page[start : page.index("</div>", start)]


def test_changelist__lists_entries_under_a_stats_panel(client: Client, staff: User) -> None:
    fill()
    question_cache_get(difficulty="hard", language="de", topic="python")
    question_cache_get(difficulty="easy", language="de", topic="python")
    question_cache_get(difficulty="easy", language="de", topic="python")
    question_cache_get(difficulty="easy", language="de", topic="python")

    page = client.get(reverse(CHANGELIST)).content.decode()
    stats = " ".join(panel(client).split())

    assert all(text in page for text in ("Medium English?", "Hard English?", "Hard German?"))
    assert '<th scope="row">Keys</th><td>3</td>' in stats
    assert '<th scope="row">Questions</th><td>3</td>' in stats
    assert '<th scope="row">Hits</th><td>1</td>' in stats
    assert '<th scope="row">Misses</th><td>3</td>' in stats
    assert '<th scope="row">Hit rate</th> <td>25 %</td>' in stats
    assert "medium: 1 · hard: 2" in stats
    assert "de: 1 · en: 2" in stats


def test_entry__read_only_page_shows_key_fingerprint_and_metadata(
    client: Client, staff: User
) -> None:
    question_cache_put(
        difficulty="easy",
        language="en",
        topic="Python",
        text="Why?",
        metadata={"rubric": ["explains it"]},
    )
    entry = CachedQuestion.objects.get()

    page = client.get(reverse("admin:resilience_cachedquestion_change", args=[entry.pk]))

    content = page.content.decode()
    assert entry.key in content
    assert entry.fingerprint in content
    assert "explains it" in content
    assert 'name="_save"' not in content, "entries cannot be edited"


def test_changelist__queries_do_not_grow_with_entries(
    client: Client, staff: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        question_cache_put(difficulty="easy", language="en", topic=f"topic {n}", text="Why?")

    with django_assert_max_num_queries(14):
        assert client.get(reverse(CHANGELIST)).status_code == 200


def test_clear__by_difficulty_and_language_deletes_only_matching(
    client: Client, staff: User
) -> None:
    fill()

    response = client.post(reverse(CLEAR), {"difficulty": "hard", "language": "de"}, follow=True)

    assert "Cleared 1 cached question(s) (hard de)." in response.content.decode()
    assert set(CachedQuestion.objects.values_list("text", flat=True)) == {
        "Medium English?",
        "Hard English?",
    }


def test_clear__no_filter_clears_everything(client: Client, staff: User) -> None:
    fill()

    response = client.post(reverse(CLEAR), {"difficulty": "", "language": ""}, follow=True)

    assert "Cleared 3 cached question(s) (every)." in response.content.decode()
    assert not CachedQuestion.objects.exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"difficulty": "extreme"}, "Select a valid choice"),
        ({"language": "en gb!"}, "malformed language"),
    ],
)
def test_clear__bad_filter_shows_why_and_clears_nothing(
    client: Client, staff: User, form: dict[str, str], message: str
) -> None:
    fill()

    response = client.post(reverse(CLEAR), form, follow=True)

    assert "Nothing cleared" in response.content.decode()
    assert message in response.content.decode()
    assert CachedQuestion.objects.count() == 3


def test_clear__a_get_request_changes_nothing(client: Client, staff: User) -> None:
    fill()

    assert client.get(reverse(CLEAR)).status_code == 405
    assert CachedQuestion.objects.count() == 3


def test_reset_counters__starts_the_hit_rate_again(client: Client, staff: User) -> None:
    question_cache_get(difficulty="easy", language="en", topic="python")

    client.post(reverse("admin:resilience_question_cache_reset_counters"), follow=True)

    assert '<th scope="row">Misses</th><td>0</td>' in " ".join(panel(client).split())
