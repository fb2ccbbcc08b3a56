"""The vector backfill's schedule, and what it does where semantic search is off (the pgvector
path itself: tests/retrieval/test_pgvector.py)."""

from typing import Any

import pytest
from django_celery_beat.models import PeriodicTask

from interviews.fake_llm.server import FakeLLMHandle
from retrieval.services.documents import document_text_store
from retrieval.tasks import backfill_passage_vectors
from tests.migration_rows import ensure_migration_rows

pytestmark = pytest.mark.django_db(transaction=True)


def test_beat_schedule__every_10_minutes_on_maintenance_expiring_before_the_next() -> None:
    ensure_migration_rows("retrieval", "0005_vectors_backfill_schedule", "schedule")
    task = PeriodicTask.objects.get(task="retrieval.tasks.backfill_passage_vectors")
    assert (task.interval.every, task.interval.period) == (10, "minutes")
    assert task.expire_seconds is not None
    assert task.expire_seconds < 600
    assert task.queue == "maintenance"


def test_backfill__without_pgvector_does_nothing_and_calls_no_endpoint(
    embeddings: FakeLLMHandle, settings: Any
) -> None:
    # An endpoint is configured, but the database has no vector column (no pgvector here).
    document_text_store(key="position:3", name="jd", text="Go and gRPC services.", kind="text")
    sent_before = embeddings.status()["by_path"].get("/v1/embeddings", 0)

    assert backfill_passage_vectors() == {"filled": 0, "stopped": "lexical_mode"}
    assert embeddings.status()["by_path"].get("/v1/embeddings", 0) == sent_before
