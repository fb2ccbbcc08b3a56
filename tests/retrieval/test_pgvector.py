"""The semantic path on a real PostgreSQL with the real pgvector extension
(tests/retrieval/pgvector_server.py): migration 0003 adds the vector column, documents are
stored with their embeddings from the fake LLM's /v1/embeddings, a search fuses ts_rank with
cosine distance, and an embeddings outage stores documents without vectors and fails searches
as RetrievalUnavailable, never half-stored; once the endpoint is back, the beat task's backfill
gives those passages their vectors.

Each phase runs in a process of its own against that server, as the web process would.
"""

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from interviews.fake_llm.server import FakeLLMHandle, run_fake_llm_in_thread
from tests.e2e.stack import ROOT, base_env
from tests.retrieval.pgvector_server import pgvector_postgres

pytestmark = pytest.mark.usefixtures("postgres_required")

KEY = "pgvector-test-key"
RECOVERY_SECONDS = 1.2
# Each phase prints one JSON line: what it saw.
_PHASE = r"""
import json, sys
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import PeriodicTask
from retrieval.errors import RetrievalUnavailable
from retrieval.lexical import lexical_search
from retrieval.models import KnowledgeBase
from retrieval.selectors import retrieval_status
from retrieval.services.documents import document_text_store
from retrieval.services.search import retrieval_search
from retrieval.services.vectors_backfill import passage_vectors_backfill

KB = "position:7"
phase = sys.argv[1]
seen = {}
if phase == "healthy":
    call_command("migrate", verbosity=0)
    seen["schedule"] = list(PeriodicTask.objects.filter(
        task="retrieval.tasks.backfill_passage_vectors").values_list("queue", flat=True))
    # As an operator would in the admin: a 1 s wait before the rag breaker's trial.
    from resilience.models import BreakerConfig
    BreakerConfig.objects.filter(name="rag").update(recovery_timeout=1.0, recovery_backoff=1.0)
    document_text_store(key=KB, name="platform", kind="text",
        text="Kubernetes operators reconcile the desired state of every cluster.")
    document_text_store(key=KB, name="bakery", kind="text",
        text="We bake sourdough bread by hand every morning before dawn.")
if phase == "outage":
    document_text_store(key=KB, name="queues", kind="text",
        text="Celery workers consume the evaluation queue and retry failed tasks.")
    try:
        retrieval_search(key=KB, query="kubernetes")
        seen["search"] = "answered"
    except RetrievalUnavailable as exc:
        seen["search"] = f"unavailable: {exc}"
    seen["backfill"] = passage_vectors_backfill()
if phase == "back":
    seen["backfill"] = passage_vectors_backfill()
seen["status"] = retrieval_status()
with connection.cursor() as cursor:
    cursor.execute(
        "SELECT d.name, count(p.embedding), count(*) FROM retrieval_passage p "
        "JOIN retrieval_document d ON d.id = p.document_id GROUP BY d.name ORDER BY d.name"
    )
    seen["vectors"] = {name: [with_vector, total] for name, with_vector, total in cursor}
if phase != "outage":
    kb = KnowledgeBase.objects.get(key=KB).pk
    typo = "kuberentes reconciliation"  # no stem of it is in any document
    seen["lexical_typo"] = lexical_search(knowledge_base_id=kb, query=typo, limit=3)
    seen["hybrid_typo"] = [h.document for h in retrieval_search(key=KB, query=typo)]
    seen["hybrid_celery"] = [h.document for h in retrieval_search(key=KB, query="celery")]
print(json.dumps(seen))
"""


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[dict[str, str], FakeLLMHandle]]:
    """A pgvector server and the fake embeddings endpoint; the environment of a web process
    that uses both."""
    with pgvector_postgres() as url, run_fake_llm_in_thread(port=0) as fake:
        env = base_env(
            DATABASE_URL=url,
            VAR_DIR=str(tmp_path / "var"),
            SECRET_KEY="pgvector-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
            EMBEDDINGS_BASE_URL=f"{fake.base_url}/v1",
            EMBEDDINGS_API_KEY=KEY,
            EMBEDDINGS_MODEL="fake-embedding",
            EMBEDDINGS_TIMEOUT_SECONDS="0.5",
            RETRY_BASE_DELAY="0.01",
            RETRY_MAX_DELAY="0.05",
        )
        yield env, fake


def _phase(env: dict[str, str], name: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _PHASE, name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return seen


def test_pgvector__hybrid_search_finds_by_meaning_and_an_outage_loses_nothing(
    stack: tuple[dict[str, str], FakeLLMHandle],
) -> None:
    env, fake = stack

    healthy = _phase(env, "healthy")
    assert healthy["status"] == {
        "mode": "hybrid",
        "engine": "postgres_fts",
        "embeddings_configured": True,
        "vectors_available": True,
        "passages_without_vectors": 0,
    }
    assert healthy["schedule"] == ["maintenance"]
    assert healthy["vectors"] == {"bakery": [1, 1], "platform": [1, 1]}
    # Misspelt words match nothing lexically; their vector still finds the passage.
    assert healthy["lexical_typo"] == []
    assert healthy["hybrid_typo"][0] == "platform"

    fake.control(mode="error500")
    outage = _phase(env, "outage")
    assert outage["search"].startswith("unavailable")
    assert outage["vectors"] == {"bakery": [1, 1], "platform": [1, 1], "queues": [0, 1]}
    assert outage["backfill"] == {"filled": 0, "stopped": "unavailable"}
    assert outage["status"]["passages_without_vectors"] == 1

    fake.control(mode="ok")
    time.sleep(RECOVERY_SECONDS)  # the outage opened the rag breaker
    back = _phase(env, "back")
    assert back["backfill"] == {"filled": 1, "stopped": "done"}
    assert back["vectors"]["queues"] == [1, 1]
    assert back["status"]["passages_without_vectors"] == 0
    assert back["hybrid_celery"][0] == "queues"  # now by its words and its meaning
    assert back["hybrid_typo"][0] == "platform"
