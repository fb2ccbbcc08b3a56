"""Lexical search on the database's own full-text engine (docs/retrieval.md, "Engines").

SQLite: FTS5 with porter stemming, ranked by bm25. PostgreSQL: the passage's generated
tsvector (english configuration) with its GIN index, ranked by ts_rank. Both read a query as
its words joined by OR: a question plan or a job title is a bag of topics, not a phrase, and
ranking (not matching every word) is what puts the best passages first.
"""

import re

from django.db import connection

# PostgreSQL's english configuration drops these; FTS5 has no stop words, so they are dropped
# here for both engines: "the" or "and" would otherwise match every passage.
_STOP_WORDS = (
    "a about above after again against all am an and any are as at be because been before "
    "being below between both but by can did do does doing down during each few for from "
    "further had has have having he her here hers herself him himself his how i if in into "
    "is it its itself just me more most my myself no nor not now of off on once only or "
    "other our ours ourselves out over own same she should so some such than that the "
    "their theirs them themselves then there these they this those through to too under "
    "until up very was we were what when where which while who whom why will with you your "
    "yours yourself yourselves"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())
MAX_TERMS = 32  # a longer query costs more and ranks no better
_WORD = re.compile(r"[^\W_]+")  # letters and digits; "_" and punctuation split words

# The knowledge base is a column of the FTS5 table (migration 0004): FTS5 intersects it with
# the words; bm25 weighs the text column only.
SQLITE = """
SELECT p.id, -bm25(retrieval_passage_fts, 1.0, 0.0) AS score
FROM retrieval_passage_fts JOIN retrieval_passage p ON p.id = retrieval_passage_fts.rowid
WHERE retrieval_passage_fts MATCH %s AND p.knowledge_base_id = %s
ORDER BY score DESC, p.id LIMIT %s
"""
POSTGRES = """
SELECT p.id, ts_rank(p.search, query) AS score
FROM retrieval_passage p, to_tsquery('english'::regconfig, %s) query
WHERE p.knowledge_base_id = %s AND p.search @@ query
ORDER BY score DESC, p.id LIMIT %s
"""


class EngineMissing(RuntimeError):
    """The database has no full-text engine this app supports."""


def query_terms(text: str) -> list[str]:
    """The distinct words of a query, lower-cased, in order, at most MAX_TERMS."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if (len(word) > 1 or word.isdigit()) and word not in STOP_WORDS:
            seen.setdefault(word, None)
        if len(seen) >= MAX_TERMS:
            break
    return list(seen)


def engine_name() -> str:
    return {"sqlite": "sqlite_fts5", "postgresql": "postgres_fts"}.get(connection.vendor, "")


def lexical_search(*, knowledge_base_id: int, query: str, limit: int) -> list[tuple[int, float]]:
    """(passage id, score) pairs, best first; higher scores are better on both engines."""
    terms = query_terms(query)
    if not terms:
        return []
    if connection.vendor == "sqlite":
        # Each term quoted: FTS5 reads it as a string, never as query syntax.
        words = " OR ".join('"' + term + '"' for term in terms)
        scope = f'knowledge_base_id : "{int(knowledge_base_id)}"'
        sql, match = SQLITE, f"{scope} AND text : ({words})"
    elif connection.vendor == "postgresql":
        # Terms are letters and digits only, so they carry no tsquery syntax; to_tsquery
        # stems them and drops stop words.
        sql, match = POSTGRES, " | ".join(terms)
    else:
        raise EngineMissing(f"no full-text search for database vendor {connection.vendor!r}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, knowledge_base_id, limit])
        return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]
