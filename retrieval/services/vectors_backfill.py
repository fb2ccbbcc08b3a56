"""Vectors for passages stored while the embeddings endpoint was down (docs/retrieval.md,
"Failure"). Such a document is found by its words only, and an unchanged document is never
re-indexed, so without this its passages would stay out of semantic search for good. Beat runs
it every 10 minutes on the maintenance queue (retrieval/tasks.py); it stops at the first
failure, and the next run goes on where it stopped.
"""

import logging

from retrieval.embeddings import MAX_BATCH, embed
from retrieval.errors import RetrievalUnavailable
from retrieval.services.search import search_mode
from retrieval.vectors import passages_without_vectors, vectors_store

logger = logging.getLogger(__name__)

MAX_PASSAGES_PER_RUN = 20 * MAX_BATCH  # a run well inside its 10 minutes, even when slow


def passage_vectors_backfill(*, limit: int = MAX_PASSAGES_PER_RUN) -> dict[str, int | str]:
    """Embed and store up to `limit` passages that have no vector, a batch at a time."""
    if search_mode() != "hybrid":
        return {"filled": 0, "stopped": "lexical_mode"}
    filled = 0
    while filled < limit:
        batch = passages_without_vectors(min(MAX_BATCH, limit - filled))
        if not batch:
            return {"filled": filled, "stopped": "done"}
        try:
            vectors = embed([text for _, text in batch])
        except RetrievalUnavailable as exc:
            logger.warning("retrieval: backfill stopped after %d passages: %s", filled, exc)
            return {"filled": filled, "stopped": "unavailable"}
        # A passage deleted meanwhile updates no row: nothing to undo.
        vectors_store([(pid, vector) for (pid, _), vector in zip(batch, vectors, strict=True)])
        filled += len(batch)
    return {"filled": filled, "stopped": "limit"}
