"""The health endpoints and `manage.py health_check` against real processes: everything up,
Redis unreachable, no worker, and the embedded default."""

import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from monitoring import heartbeats
from tests.e2e.stack import BIN, ROOT, free_port, stack
from tests.monitoring.helpers import (
    closed_port,
    detailed,
    get_json,
    services_env,
    stack_env,
)
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

JSON = {"Accept": "application/json"}


def health_check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "python"), "manage.py", "health_check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def statuses(report: dict[str, Any], key: str = "checks") -> dict[str, str]:
    return {name: check["status"] for name, check in report[key].items()}


def heartbeat_due_now() -> None:
    """The migration's schedule (a transactional test may have flushed it), due at once."""
    every_minute, _ = IntervalSchedule.objects.get_or_create(
        every=heartbeats.BEAT_INTERVAL_SECONDS, period="seconds"
    )
    PeriodicTask.objects.update_or_create(
        name=heartbeats.BEAT_SCHEDULE_NAME,
        defaults={
            "task": heartbeats.BEAT_TASK_NAME,
            "interval": every_minute,
            "queue": "maintenance",
            "expire_seconds": heartbeats.BEAT_EXPIRES_SECONDS,
            "enabled": True,
            "last_run_at": datetime.now(UTC) - timedelta(minutes=2),
        },
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_health__all_green_with_postgres_redis_a_worker_and_beat(
    postgres_required: None, redis_url: str, tmp_path: Path
) -> None:
    env = services_env(tmp_path / "var", redis_url)
    redis.Redis.from_url(redis_url).flushdb()  # the broker: no task of an earlier test
    heartbeat_due_now()
    started = datetime.now(UTC)
    port = free_port()
    with stack(env, tmp_path) as running:
        running.uvicorn(port)
        running.celery_worker()
        running.start("beat", str(BIN / "celery"), "-A", "interviewsite", "beat", "-l", "INFO")

        def healthy() -> dict[str, Any] | None:
            status, report = detailed(port, "/health/")
            return report if status == 200 and report["status"] == "healthy" else None

        report = wait_for(healthy, 150, "every check of /health/ to pass")
        live = get_json(port, "/health/live/", **JSON)
        ready = get_json(port, "/health/ready/", **JSON)
        workers_status, workers = detailed(port, "/health/workers/")
        infra_status, infra = detailed(port, "/health/infrastructure/")
        command = health_check(env)

    assert live == (200, {"status": "healthy", "timestamp": live[1]["timestamp"], "checks": {}})
    assert ready[0] == 200
    assert set(statuses(ready[1]).values()) == {"ok"}
    assert set(statuses(report).values()) == {"ok"}

    assert workers_status == 200
    assert workers["status"] == "healthy"
    assert workers["redis"] == {"configured": True, "connected": True}
    assert [w["name"] for w in workers["workers"]] == [f"worker@{socket.gethostname()}"]
    assert workers["workers"][0]["queues"] == ["evaluation", "maintenance", "sandbox"]
    assert {q: v["consumers"] for q, v in workers["queues"].items()} == {
        "evaluation": 1,
        "maintenance": 1,
        "sandbox": 1,
    }
    assert all(isinstance(q["failed"], int) for q in workers["queues"].values())

    assert infra_status == 200
    assert set(statuses(infra, "dependencies").values()) == {"ok"}
    beat = infra["dependencies"]["celery_beat"]["details"]
    assert beat["store"] == "cache"
    assert datetime.fromisoformat(beat["last_run"]) >= started, "beat sent it, a worker ran it"
    assert infra["dependencies"]["database"]["details"]["vendor"] == "postgresql"

    assert command.returncode == 0, command.stdout + command.stderr
    assert command.stdout.splitlines()[-1] == "status: healthy"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_health__redis_unreachable__not_ready_and_unhealthy(
    postgres_required: None, redis_url: str, tmp_path: Path
) -> None:
    dead_redis = f"redis://127.0.0.1:{closed_port()}/0"
    env = services_env(tmp_path / "var", dead_redis)
    port = free_port()
    with stack(env, tmp_path) as running:
        running.uvicorn(port)
        live = get_json(port, "/health/live/", **JSON)
        ready_status, ready = get_json(port, "/health/ready/", **JSON)
        full_status, full = detailed(port, "/health/")
        workers_status, workers = detailed(port, "/health/workers/")
        infra_status, infra = detailed(port, "/health/infrastructure/")
        full_command = health_check(env)
        ready_command = health_check(env, "health_ready")
        live_command = health_check(env, "health_live")

    assert live[0] == 200
    assert (ready_status, ready["status"]) == (503, "unhealthy")
    assert statuses(ready) == {
        "database": "ok",
        "cache": "unavailable",
        "channel_layer": "unavailable",
        "redis_databases": "unavailable",
    }
    assert (full_status, full["status"]) == (503, "unhealthy")
    assert full["checks"]["celery_workers"]["message"] == "redis broker unreachable"
    assert full["checks"]["queue_depth"]["status"] == "unavailable"
    assert full["checks"]["celery_beat"]["status"] == "warning"  # cannot read: not an outage

    assert (workers_status, workers["status"]) == (503, "unhealthy")
    assert workers["redis"] == {"configured": True, "connected": False}
    assert workers["broker"] == {"transport": "redis", "connected": False}
    assert workers["queues"]["evaluation"]["waiting"] is None
    assert "redis broker unreachable" in workers["problems"]

    assert infra_status == 503
    assert "REDIS_URL" in infra["dependencies"]["cache"]["recommendation"]
    assert infra["dependencies"]["database"]["recommendation"] == "No action needed."

    assert (full_command.returncode, ready_command.returncode) == (1, 1)
    assert "cache: unavailable" in ready_command.stdout
    assert live_command.returncode == 0


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_health__no_worker__ready_but_the_full_report_is_unhealthy(
    postgres_required: None, redis_url: str, tmp_path: Path
) -> None:
    env = services_env(tmp_path / "var", redis_url)
    port = free_port()
    with stack(env, tmp_path) as running:
        running.uvicorn(port)
        ready = get_json(port, "/health/ready/", **JSON)
        full_status, full = detailed(port, "/health/")
        workers_status, workers = detailed(port, "/health/workers/")
        command = health_check(env)

    assert (ready[0], ready[1]["status"]) == (200, "healthy")
    assert (full_status, full["status"]) == (503, "unhealthy")
    assert full["checks"]["celery_workers"] == {
        "status": "unavailable",
        "message": "no worker answered within 1 s",
        "latency_ms": full["checks"]["celery_workers"]["latency_ms"],
    }
    assert {name: s for name, s in statuses(full).items() if name != "celery_beat"} == {
        "database": "ok",
        "cache": "ok",
        "channel_layer": "ok",
        "redis_databases": "ok",
        "celery_workers": "unavailable",
        "queue_depth": "ok",
        "circuit_breakers": "ok",
        "dead_letters": "ok",
        "stuck_work": "ok",
    }
    assert (workers_status, workers["status"], workers["workers"]) == (503, "unhealthy", [])
    assert workers["broker"] == {"transport": "redis", "connected": True}
    assert workers["queues"]["evaluation"]["consumers"] == 0
    # The same verdict as /health/'s celery_workers check, once.
    assert workers["problems"] == ["no worker answered within 1 s"]
    assert command.returncode == 1
    assert "celery_workers: unavailable (no worker answered within 1 s)" in command.stdout


def test_health__embedded_default__worker_answers_over_the_file_broker_and_no_beat_degrades(
    tmp_path: Path,
) -> None:
    env = stack_env(tmp_path / "var")
    port = free_port()
    with stack(env, tmp_path) as running:
        running.manage("migrate", "--noinput")
        running.uvicorn(port)
        running.celery_worker()

        def worker_listed() -> dict[str, Any] | None:
            _, report = detailed(port, "/health/workers/")
            return report if report["workers"] else None

        workers = wait_for(worker_listed, 120, "the worker to answer over the file broker")
        full_status, full = detailed(port, "/health/")
        command = health_check(env)
        strict = health_check(env, "--fail-on-warning")

    assert workers["status"] == "healthy"
    assert workers["broker"] == {"transport": "filesystem", "connected": True}
    assert workers["redis"] == {"configured": False, "connected": False}
    assert (full_status, full["status"]) == (200, "degraded")
    assert statuses(full) == {
        "database": "ok",
        "cache": "ok",
        "channel_layer": "ok",
        "redis_databases": "not_applicable",  # no REDIS_URL: the embedded default
        "celery_workers": "ok",
        "queue_depth": "ok",
        "celery_beat": "warning",  # no beat in this stack
        "circuit_breakers": "ok",
        "dead_letters": "ok",
        "stuck_work": "ok",
    }
    assert command.returncode == 0, command.stdout + command.stderr
    assert command.stdout.splitlines()[-1] == "status: degraded"
    assert strict.returncode == 1
