"""What operators see of retrieval: the rag breaker on /health/circuit-breakers/ and the
dashboard from the start, the search mode, the reference's counters and latencies, and the
Prometheus series."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError
from django.test import Client

from retrieval.errors import RetrievalUnavailable
from retrieval.lexical import engine_name
from retrieval.services import search
from retrieval.services.documents import document_text_store
from retrieval.services.search import retrieval_search

# transaction=True: the breaker's config row must come from post_migrate, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "x"))
    return client


def _health(client: Client) -> dict[str, Any]:
    response = client.get("/health/circuit-breakers/")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_health__shows_the_rag_breaker_and_lexical_mode_before_any_search(staff: Client) -> None:
    body = _health(staff)
    assert body["circuit_breakers"]["rag"] == "closed"
    assert body["breakers"]["rag"]["state"] == "closed"
    assert body["retrieval"]["mode"] == "lexical"
    assert body["retrieval"]["engine"] == engine_name()
    assert body["retrieval"]["embeddings_configured"] is False


def test_health__an_embeddings_endpoint_without_pgvector_still_says_lexical(
    staff: Client, settings: Any
) -> None:
    settings.EMBEDDINGS_BASE_URL = "http://127.0.0.1:9/v1"
    retrieval = _health(staff)["retrieval"]
    assert retrieval["embeddings_configured"] is True
    assert retrieval["mode"] == ("hybrid" if retrieval["vectors_available"] else "lexical")


def test_dashboard__lists_the_rag_breaker(staff: Client) -> None:
    response = staff.get("/admin/dashboard/panels/")
    assert response.status_code == 200
    assert ">rag<" in response.content.decode().replace(" ", "")


def test_health_metrics__count_searches_failures_and_average_latencies(
    staff: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _health(staff)["metrics"]
    document_text_store(key="position:1", name="jd", text="Rust and WebAssembly.", kind="text")
    for _ in range(3):
        assert retrieval_search(key="position:1", query="rust")

    def database_down(**kwargs: object) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(search, "lexical_search", database_down)
    with pytest.raises(RetrievalUnavailable):
        retrieval_search(key="position:1", query="rust")

    after = _health(staff)["metrics"]
    assert after["counters"]["rag_searches"] - before["counters"]["rag_searches"] == 4
    assert after["errors"]["rag_search_failed"] - before["errors"]["rag_search_failed"] == 1
    assert 0 < after["avg_latencies"]["rag_search"] < 1  # seconds, as the reference reports
    assert 0 < after["avg_latencies"]["rag_init"] < 5


def test_prometheus__has_the_rag_counters_and_histograms(client: Client) -> None:
    document_text_store(key="position:1", name="jd", text="Elixir and Phoenix.", kind="text")
    retrieval_search(key="position:1", query="phoenix")
    text = client.get("/metrics").content.decode()
    assert 'rag_searches_total{mode="lexical",outcome="ok"}' in text
    assert "rag_search_seconds_bucket" in text
    assert "rag_init_seconds_count" in text
