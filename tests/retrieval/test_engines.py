"""Each engine's own index: PostgreSQL's generated tsvector with its GIN index, and SQLite
FTS5 (run in an embedded-default process, so a PostgreSQL run covers it too)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from retrieval.services.documents import document_text_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.usefixtures("postgres_required")
def test_postgres__searches_a_generated_tsvector_through_its_gin_index() -> None:
    for n in range(50):
        document_text_store(key=f"position:{n}", name="jd", text=f"Erlang {n} OTP", kind="text")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'retrieval_passage_search'"
        )
        assert "USING gin (search)" in cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM retrieval_passage "
            "WHERE search @@ to_tsquery('english', 'erlang')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "retrieval_passage_search" in plan


def test_embedded_default__indexing_search_and_grounded_interviews_pass_on_sqlite_fts5(
    tmp_path: Path,
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "REQUIRE_SERVICES": "",
        "VAR_DIR": str(tmp_path),
    }
    tests = ROOT / "tests" / "retrieval"
    # The issue's "done": two positions' different interviews, with citations, embedded.
    grounded = ROOT / "tests" / "interviews" / "test_grounded_interviews.py"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         str(tests / "sqlite_fts5_checks.py"), str(tests / "test_search.py"),
         str(tests / "test_documents.py"),
         f"{grounded}::test_two_positions__different_job_descriptions_give_visibly_different_interviews",
         f"{grounded}::test_citations__staff_see_them_in_the_report_the_candidate_never_does"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
    assert "skipped" not in run.stdout
