"""The passage's pgvector column, on PostgreSQL where the extension is available; elsewhere
nothing (search stays lexical). Installing pgvector later: docs/operations.md, "Knowledge
bases"."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if cursor.fetchone() is None:
            return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS vector")
    # No dimension: the model decides it; every search compares vectors of one model.
    schema_editor.execute("ALTER TABLE retrieval_passage ADD COLUMN embedding vector")


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE retrieval_passage DROP COLUMN IF EXISTS embedding")


class Migration(migrations.Migration):
    dependencies = [("retrieval", "0002_search_index")]

    operations = [migrations.RunPython(forwards, backwards)]
