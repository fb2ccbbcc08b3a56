"""SQLite: the FTS5 table also indexes the passage's knowledge base, so a search intersects
the query's words with one knowledge base's rows inside FTS5 instead of matching the words
across every knowledge base and filtering afterwards (bench/retrieval.py: p50 8.5 ms on 1,000
knowledge bases before). PostgreSQL is unchanged.

Django rebuilds a SQLite table to alter it, which drops its triggers: a later migration that
alters retrieval_passage must run TRIGGERS again.
"""

from django.db import migrations

TABLE = (
    "CREATE VIRTUAL TABLE retrieval_passage_fts USING fts5("
    "text, knowledge_base_id, content='retrieval_passage', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')"
)
TRIGGERS = [
    "CREATE TRIGGER retrieval_passage_fts_insert AFTER INSERT ON retrieval_passage BEGIN "
    "INSERT INTO retrieval_passage_fts(rowid, text, knowledge_base_id) "
    "VALUES (new.id, new.text, new.knowledge_base_id); END",
    "CREATE TRIGGER retrieval_passage_fts_delete AFTER DELETE ON retrieval_passage BEGIN "
    "INSERT INTO retrieval_passage_fts(retrieval_passage_fts, rowid, text, knowledge_base_id) "
    "VALUES ('delete', old.id, old.text, old.knowledge_base_id); END",
    "CREATE TRIGGER retrieval_passage_fts_update AFTER UPDATE OF text, knowledge_base_id "
    "ON retrieval_passage BEGIN "
    "INSERT INTO retrieval_passage_fts(retrieval_passage_fts, rowid, text, knowledge_base_id) "
    "VALUES ('delete', old.id, old.text, old.knowledge_base_id); "
    "INSERT INTO retrieval_passage_fts(rowid, text, knowledge_base_id) "
    "VALUES (new.id, new.text, new.knowledge_base_id); END",
]
DROP = [
    "DROP TRIGGER IF EXISTS retrieval_passage_fts_insert",
    "DROP TRIGGER IF EXISTS retrieval_passage_fts_delete",
    "DROP TRIGGER IF EXISTS retrieval_passage_fts_update",
    "DROP TABLE IF EXISTS retrieval_passage_fts",
]
REBUILD = "INSERT INTO retrieval_passage_fts(retrieval_passage_fts) VALUES ('rebuild')"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        for sql in [*DROP, TABLE, *TRIGGERS, REBUILD]:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        import importlib

        first = importlib.import_module("retrieval.migrations.0002_search_index")
        for sql in [*DROP, first.SQLITE_TABLE, *first.SQLITE_TRIGGERS, REBUILD]:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("retrieval", "0003_vectors")]

    operations = [migrations.RunPython(forwards, backwards)]
