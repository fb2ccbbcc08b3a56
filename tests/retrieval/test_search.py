"""Lexical search on the configured engine (SQLite FTS5 embedded, PostgreSQL full-text search
with DATABASE_URL): ranking, stemming, one knowledge base at a time, any text as a query."""

import pytest

from retrieval.lexical import engine_name
from retrieval.services.documents import document_text_store
from retrieval.services.search import retrieval_search

pytestmark = pytest.mark.django_db

PASSAGES = {
    "kafka": "We stream events through Kafka topics and consumer groups.",
    "postgres": "Queries run on PostgreSQL; you will tune indexes and read query plans.",
    "airflow": "Pipelines are scheduled with Airflow, and failed tasks are retried.",
    "people": "You mentor two junior engineers and review their designs.",
}


@pytest.fixture
def job() -> None:
    # One document per passage, so each hit names what it matched.
    for name, text in PASSAGES.items():
        document_text_store(key="position:1", name=name, text=text, kind="text")
    document_text_store(
        key="position:2", name="other", text="Kafka Kafka Kafka, and nothing else.", kind="text"
    )


def test_engine__is_the_databases_own_full_text_search() -> None:
    assert engine_name() in ("sqlite_fts5", "postgres_fts")


@pytest.mark.usefixtures("job")
def test_search__ranks_the_passage_that_matches_most_terms_first() -> None:
    hits = retrieval_search(key="position:1", query="tune PostgreSQL query plans and Kafka", k=3)
    assert [h.document for h in hits][:2] == ["postgres", "kafka"]
    assert hits[0].score > hits[1].score
    assert hits[0].text == PASSAGES["postgres"]
    assert (hits[0].start, hits[0].end) == (0, len(PASSAGES["postgres"]))


@pytest.mark.usefixtures("job")
def test_search__matches_other_forms_of_a_word() -> None:
    assert [h.document for h in retrieval_search(key="position:1", query="scheduling")] == [
        "airflow"
    ]
    assert [h.document for h in retrieval_search(key="position:1", query="mentoring")] == ["people"]


@pytest.mark.usefixtures("job")
def test_search__never_returns_another_knowledge_bases_passages() -> None:
    hits = retrieval_search(key="position:2", query="kafka postgresql airflow", k=10)
    assert [h.document for h in hits] == ["other"]
    assert retrieval_search(key="position:404", query="kafka") == []


@pytest.mark.usefixtures("job")
@pytest.mark.parametrize(
    "query",
    [
        'kafka" OR "postgres',
        "kafka NEAR(airflow) AND NOT people*",
        "kafka & !airflow | (postgres:*",
        "text: kafka -- '; DROP TABLE retrieval_passage; --",
        "^kafka {col} + - ~ \\ ' \" ` ] [",
    ],
)
def test_search__reads_query_syntax_as_plain_words(query: str) -> None:
    hits = retrieval_search(key="position:1", query=query, k=4)
    assert "kafka" in [h.document for h in hits]
    assert retrieval_search(key="position:1", query="kafka", k=4)


@pytest.mark.usefixtures("job")
@pytest.mark.parametrize("query", ["", "   ", "!!! ??? ...", "the and of"])
def test_search__a_query_without_words_finds_nothing(query: str) -> None:
    assert retrieval_search(key="position:1", query=query) == []
