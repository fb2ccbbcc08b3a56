"""A whole interview over real sockets: real uvicorn, a real Celery worker, real databases."""

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import TypeVar

import pytest
import redis

from interviews.models import Evaluation, Interview, InterviewStatus
from tests.e2e.client import persisted, take_interview
from tests.e2e.stack import base_env, database_url, free_port, stack
from tests.factories import make_interview
from tests.waiting import wait_for

T = TypeVar("T")

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def _assert_clean_transcript(frames: list[dict], questions: int) -> None:
    events = persisted(frames)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), "no gap, no repeat"
    asked = {e["index"] for e in events if e["type"] == "question"}
    assert asked == set(range(1, questions + 1))
    assert events[-1]["type"] == "completed"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_interview_on_postgres_redis_two_uvicorn_workers__evaluated_by_celery(
    postgres_required: None, redis_url: str, tmp_path: Path
) -> None:
    broker = redis_url  # the run's broker database, flushed: no task of an earlier test
    redis.Redis.from_url(broker).flushdb()
    env = base_env(
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=broker,
        VAR_DIR=str(tmp_path / "var"),
    )
    port = free_port()
    created = make_interview(question_count=3)
    with stack(env, tmp_path) as running:
        running.uvicorn(port, workers=2)
        running.celery_worker()
        ws_url = f"ws://127.0.0.1:{port}{created.ws_path}"
        frames = asyncio.run(take_interview(ws_url))
        _assert_clean_transcript(frames, 3)
        evaluation = wait_for(
            lambda: Evaluation.objects.filter(interview=created.interview, status="done").first(),
            120,
            "the evaluation to be done",
        )
    assert Interview.objects.get(pk=created.interview.pk).status == InterviewStatus.COMPLETED
    assert Evaluation.objects.filter(interview=created.interview).count() == 1
    assert evaluation.method == "offline-heuristic"
    assert evaluation.overall_score is not None


def test_interview_on_the_embedded_default__evaluated_by_celery(tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = base_env(VAR_DIR=str(var))
    port = free_port()
    with stack(env, tmp_path) as running:
        running.manage("migrate", "--noinput")
        out = running.manage(
            "create_interview",
            "--candidate",
            "Grace",
            "--role",
            "Engineer",
            "--topic",
            "sql",
            "--difficulty",
            "easy",
            "--questions",
            "2",
            "--json",
        )
        invite = json.loads(out)
        assert set(invite) >= {"id", "room_id", "token", "invite_url", "ws_url"}
        running.uvicorn(port)
        running.celery_worker()
        ws_url = invite["ws_url"].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        frames = asyncio.run(take_interview(ws_url))
        _assert_clean_transcript(frames, 2)

        def evaluation_status() -> str | None:
            with sqlite3.connect(var / "interviewsite.sqlite3", timeout=20) as db:
                row = db.execute(
                    "SELECT status FROM interviews_evaluation WHERE interview_id = ?",
                    (invite["id"],),
                ).fetchone()
            return row[0] if row and row[0] == "done" else None

        assert wait_for(evaluation_status, 120, "the evaluation to be done") == "done"
