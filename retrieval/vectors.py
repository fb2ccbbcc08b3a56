"""Passage vectors in PostgreSQL with pgvector, where the extension is installed (migration
0003 adds the column then); elsewhere semantic search is off and search is lexical.

Every search is within one knowledge base (tens to a few thousand passages), so an exact scan
of that base's vectors, found through the knowledge_base_id index, is both exact and fast: no
approximate index (HNSW, IVFFlat) is needed at that size.
"""

import logging
from functools import cache

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

NEAREST = """
SELECT id, 1 - (embedding <=> %s::vector) AS score FROM retrieval_passage
WHERE knowledge_base_id = %s AND embedding IS NOT NULL
ORDER BY embedding <=> %s::vector, id LIMIT %s
"""


@cache
def vectors_available() -> bool:
    """True when the passage table has its pgvector column (read once per process)."""
    if connection.vendor != "postgresql":
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_name = 'retrieval_passage' AND column_name = 'embedding'"
            )
            return cursor.fetchone() is not None
    except DatabaseError:
        logger.exception("retrieval: cannot tell whether pgvector is installed")
        return False


def literal(vector: list[float]) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"


def vectors_store(pairs: list[tuple[int, list[float]]]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE retrieval_passage SET embedding = %s::vector WHERE id = %s",
            [(literal(vector), passage_id) for passage_id, vector in pairs],
        )


def passages_without_vectors(limit: int) -> list[tuple[int, str]]:
    """(id, text) of up to `limit` passages stored without a vector, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, text FROM retrieval_passage WHERE embedding IS NULL ORDER BY id LIMIT %s",
            [limit],
        )
        return [(int(row[0]), str(row[1])) for row in cursor.fetchall()]


def count_without_vectors() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM retrieval_passage WHERE embedding IS NULL")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def nearest(*, knowledge_base_id: int, vector: list[float], limit: int) -> list[tuple[int, float]]:
    text = literal(vector)
    with connection.cursor() as cursor:
        cursor.execute(NEAREST, [text, knowledge_base_id, text, limit])
        return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]
