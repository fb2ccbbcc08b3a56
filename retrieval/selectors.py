"""Reads for operators and callers: which search mode runs, and passages by id (citations)."""

from collections.abc import Iterable
from typing import Any

from retrieval.conf import retrieval_settings
from retrieval.lexical import engine_name
from retrieval.models import Passage
from retrieval.services.search import search_mode
from retrieval.vectors import count_without_vectors, vectors_available


def retrieval_status() -> dict[str, Any]:
    """What /health/circuit-breakers/ reports under "retrieval"."""
    status = {
        "mode": search_mode(),  # hybrid or lexical
        "engine": engine_name(),  # sqlite_fts5 or postgres_fts
        "embeddings_configured": retrieval_settings().embeddings_enabled,
        "vectors_available": vectors_available(),  # pgvector column present
    }
    if status["mode"] == "hybrid":
        # Stored during an embeddings outage, found by their words only until the backfill.
        status["passages_without_vectors"] = count_without_vectors()
    return status


def passages_by_id(ids: Iterable[int]) -> dict[int, Passage]:
    return Passage.objects.select_related("document", "knowledge_base").in_bulk(list(ids))
