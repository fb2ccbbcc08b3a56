"""SQLite FTS5 specifics, run by test_engines.py in an embedded-default process (no
DATABASE_URL), whatever database the outer run uses."""

import pytest
from django.db import connection

from retrieval.models import KnowledgeBase
from retrieval.services.documents import document_text_store, document_upload
from retrieval.services.search import retrieval_search

pytestmark = pytest.mark.django_db


def _fts_rows() -> int:
    with connection.cursor() as cursor:
        # Integrity check first: it raises when the index and the passages disagree.
        cursor.execute(
            "INSERT INTO retrieval_passage_fts(retrieval_passage_fts, rank) "
            "VALUES ('integrity-check', 1)"
        )
        cursor.execute("SELECT count(*) FROM retrieval_passage_fts")
        return int(cursor.fetchone()[0])


def test_fts5_index__follows_edits_and_cascade_deletes() -> None:
    assert connection.vendor == "sqlite"
    document_text_store(key="a", name="jd", text="Kotlin on Android.", kind="text")
    document_upload(key="a", name="more.md", data=b"Jetpack Compose.\n\nCoroutines.")
    assert _fts_rows() == 2
    document_text_store(key="a", name="jd", text="Swift on iOS.", kind="text")
    assert _fts_rows() == 2
    KnowledgeBase.objects.get(key="a").delete()  # the admin's delete: a cascade in Django
    assert _fts_rows() == 0
    document_text_store(key="a", name="jd", text="Dart and Flutter.", kind="text")
    assert retrieval_search(key="a", query="kotlin swift compose") == []
    assert [h.text for h in retrieval_search(key="a", query="flutter")] == ["Dart and Flutter."]
