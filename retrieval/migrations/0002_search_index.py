"""The lexical search index, per database vendor (docs/retrieval.md, "Engines").

SQLite: an FTS5 table over retrieval_passage (external content, porter stemming) kept in step
by triggers, so every write path (the indexing service, an admin cascade delete, raw SQL)
updates it in the same transaction. Django rebuilds a SQLite table to alter it, which drops
its triggers: migration 0004 holds the current SQLite layout and the triggers to run again.

PostgreSQL: a stored tsvector column generated from the text, with a GIN index; the model
does not declare it, so the ORM never reads or writes it.
"""

from django.db import migrations

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE retrieval_passage_fts USING fts5("
    "text, content='retrieval_passage', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')"
)
SQLITE_TRIGGERS = [
    "CREATE TRIGGER retrieval_passage_fts_insert AFTER INSERT ON retrieval_passage BEGIN "
    "INSERT INTO retrieval_passage_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER retrieval_passage_fts_delete AFTER DELETE ON retrieval_passage BEGIN "
    "INSERT INTO retrieval_passage_fts(retrieval_passage_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER retrieval_passage_fts_update AFTER UPDATE OF text ON retrieval_passage BEGIN "
    "INSERT INTO retrieval_passage_fts(retrieval_passage_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO retrieval_passage_fts(rowid, text) VALUES (new.id, new.text); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS retrieval_passage_fts_insert",
    "DROP TRIGGER IF EXISTS retrieval_passage_fts_delete",
    "DROP TRIGGER IF EXISTS retrieval_passage_fts_update",
    "DROP TABLE IF EXISTS retrieval_passage_fts",
]
POSTGRES = [
    "ALTER TABLE retrieval_passage ADD COLUMN search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED",
    "CREATE INDEX retrieval_passage_search ON retrieval_passage USING GIN (search)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS retrieval_passage_search",
    "ALTER TABLE retrieval_passage DROP COLUMN IF EXISTS search",
]


def _run(schema_editor, statements):  # type: ignore[no-untyped-def]
    for sql in statements:
        schema_editor.execute(sql)


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, [SQLITE_TABLE, *SQLITE_TRIGGERS])
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [("retrieval", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
