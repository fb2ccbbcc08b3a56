"""Search: the passages of one knowledge base most relevant to a query, best first.

Lexical always; hybrid when an embeddings endpoint is set and pgvector holds the vectors: the
two rankings are merged by reciprocal rank fusion (score = sum of 1 / (60 + rank)), which needs
no tuning and no common scale between bm25 / ts_rank and cosine similarity (Cormack, Clarke
and Buettcher, SIGIR 2009). Any failure is RetrievalUnavailable: callers go on without passages.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import DatabaseError

from retrieval import metrics
from retrieval.conf import retrieval_settings
from retrieval.embeddings import embed
from retrieval.errors import RetrievalUnavailable
from retrieval.lexical import EngineMissing, lexical_search
from retrieval.models import KnowledgeBase, Passage
from retrieval.vectors import nearest, vectors_available

logger = logging.getLogger(__name__)

RRF_K = 60  # the constant of reciprocal rank fusion (the paper's value)
CANDIDATES = 4  # each ranking offers this many times k candidates to the fusion


@dataclass(frozen=True)
class Hit:
    passage_id: int
    document: str  # the document's name, as staff attached it
    ordinal: int
    start: int  # character offsets into the document's text
    end: int
    text: str
    score: float  # higher is better; comparable within one search only


def search_mode() -> str:
    """hybrid (lexical + semantic) or lexical: what searches run now."""
    if retrieval_settings().embeddings_enabled and vectors_available():
        return "hybrid"
    return "lexical"


def fuse(rankings: Sequence[Sequence[int]], *, k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of id rankings (best first) into one, best first."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def knowledge_base_id(*, key: str) -> int | None:
    return KnowledgeBase.objects.filter(key=key).values_list("id", flat=True).first()


def retrieval_search(*, key: str, query: str, k: int | None = None) -> list[Hit]:
    """The k passages of knowledge base `key` that best match `query` ([] if it has none)."""
    return _counted(key, lambda: knowledge_base_id(key=key), query, k)


def retrieval_search_in(
    *, knowledge_base_id: int | None, query: str, k: int | None = None
) -> list[Hit]:
    """retrieval_search for a caller that has just read the knowledge base's id (None: there
    is none), as the turn path has (interviews/llm/grounding.py)."""
    return _counted(f"knowledge base {knowledge_base_id}", lambda: knowledge_base_id, query, k)


def _counted(where: str, find: Callable[[], int | None], query: str, k: int | None) -> list[Hit]:
    k = k or retrieval_settings().top_k
    mode = search_mode()
    started = time.perf_counter()
    try:
        hits = _search(knowledge_base_id=find(), query=query, k=k, mode=mode)
    except (DatabaseError, EngineMissing) as exc:
        metrics.SEARCHES.labels(mode=mode, outcome="failed").inc()
        logger.warning("retrieval: search in %s failed: %s", where, exc)
        raise RetrievalUnavailable(f"search failed: {type(exc).__name__}") from exc
    except RetrievalUnavailable:
        metrics.SEARCHES.labels(mode=mode, outcome="failed").inc()
        raise
    metrics.SEARCHES.labels(mode=mode, outcome="ok").inc()
    metrics.SEARCH_SECONDS.labels(mode=mode).observe(time.perf_counter() - started)
    return hits


def _search(*, knowledge_base_id: int | None, query: str, k: int, mode: str) -> list[Hit]:
    if knowledge_base_id is None or not query.strip():
        return []
    if mode == "lexical":
        ranked = lexical_search(knowledge_base_id=knowledge_base_id, query=query, limit=k)
    else:
        # The query's embedding first: an endpoint that is down fails the search before any
        # query reaches the database.
        vector = embed([query])[0]
        lexical = lexical_search(
            knowledge_base_id=knowledge_base_id, query=query, limit=k * CANDIDATES
        )
        semantic = nearest(knowledge_base_id=knowledge_base_id, vector=vector, limit=k * CANDIDATES)
        ranked = fuse([[pid for pid, _ in lexical], [pid for pid, _ in semantic]])
    return _hits(ranked[:k])


def _hits(ranked: list[tuple[int, float]]) -> list[Hit]:
    passages = Passage.objects.select_related("document").in_bulk([pid for pid, _ in ranked])
    return [
        Hit(
            passage_id=pid,
            document=passages[pid].document.name,
            ordinal=passages[pid].ordinal,
            start=passages[pid].start,
            end=passages[pid].end,
            text=passages[pid].text,
            score=round(score, 6),
        )
        for pid, score in ranked
        if pid in passages  # deleted since the ranking was read
    ]
