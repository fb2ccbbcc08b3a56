"""Knowledge bases: documents split into passages, searched lexically (SQLite FTS5 or
PostgreSQL full-text search) and, where configured, semantically (docs/retrieval.md).

Knows nothing of interviews: an owner is a plain key such as "position:42".
"""
