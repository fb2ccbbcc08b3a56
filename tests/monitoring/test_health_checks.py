"""Each health check against the real thing: the check passes when its dependency works and
reports the right kind of failure when it does not."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from django.test import override_settings
from django_celery_beat.models import PeriodicTask
from health_check.base import HealthCheck
from health_check.exceptions import ServiceWarning

from interviewsite.celery import app
from monitoring import checks, heartbeats
from monitoring.celery_status import broker_connection
from monitoring.tasks import beat_heartbeat
from tests.migration_rows import ensure_migration_rows
from tests.monitoring.helpers import celery_broker, closed_port, filesystem_broker_options

# This suite's Redis DB; keys carry a per-test prefix, so nothing here flushes a database.
CHECK_REDIS_DB = 8


def run(check: HealthCheck) -> tuple[str, str]:
    result = asyncio.run(check.get_result())
    if result.error is None:
        return "ok", ""
    return type(result.error).__name__, result.error.message


def redis_db(redis_url: str, db: int) -> str:
    return f"{redis_url.rsplit('/', 1)[0]}/{db}"


def unique_prefix() -> str:
    return f"monitoring-test-{uuid.uuid4().hex}:"


def redis_cache(url: str, prefix: str = "") -> dict[str, dict[str, str]]:
    backend = "django.core.cache.backends.redis.RedisCache"
    return {"default": {"BACKEND": backend, "LOCATION": url, "KEY_PREFIX": prefix}}


def redis_layer(url: str) -> dict[str, dict[str, object]]:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": unique_prefix()},
        }
    }


def delete_keys(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)


# --- ready checks ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_database_check__select_one_on_the_configured_database() -> None:
    assert run(checks.Database()) == ("ok", "")


def test_channel_layer_check__round_trip_on_the_in_memory_layer() -> None:
    layers = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    with override_settings(CHANNEL_LAYERS=layers):
        assert run(checks.ChannelLayer()) == ("ok", "")


@pytest.mark.services
def test_channel_layer_check__round_trip_through_redis(redis_url: str) -> None:
    with override_settings(CHANNEL_LAYERS=redis_layer(redis_db(redis_url, CHECK_REDIS_DB))):
        assert run(checks.ChannelLayer()) == ("ok", "")


def test_channel_layer_check__redis_on_a_closed_port_is_unavailable() -> None:
    with override_settings(CHANNEL_LAYERS=redis_layer(f"redis://127.0.0.1:{closed_port()}/0")):
        kind, message = run(checks.ChannelLayer())
    assert kind == "ServiceUnavailable"
    assert "unreachable" in message or "round trip" in message


@pytest.mark.services
def test_cache_check__set_and_get_on_redis(redis_url: str) -> None:
    with override_settings(CACHES=redis_cache(redis_db(redis_url, CHECK_REDIS_DB), "mon-test")):
        assert run(checks.Cache()) == ("ok", "")


def test_cache_check__redis_on_a_closed_port_fails_the_check() -> None:
    with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{closed_port()}/0")):
        kind, _ = run(checks.Cache())
    assert kind in {"ServiceUnavailable", "ServiceReturnedUnexpectedResult"}


# --- Celery workers and queues ----------------------------------------------------------------
def test_workers_check__broker_on_a_closed_port_is_unavailable_within_the_time_limit() -> None:
    with celery_broker(f"redis://127.0.0.1:{closed_port()}/0"):
        result = asyncio.run(checks.CeleryWorkers().get_result())
    assert isinstance(result.error, checks.ServiceUnavailable)
    assert result.error.message == "redis broker unreachable"
    assert result.time_taken < 3


def test_workers_check__no_worker_on_the_broker_is_unavailable(tmp_path: Path) -> None:
    with celery_broker("filesystem://", **filesystem_broker_options(tmp_path)):
        kind, message = run(checks.CeleryWorkers())
    assert (kind, message) == ("ServiceUnavailable", "no worker answered within 1 s")


def test_workers_and_queue_checks__not_applicable_when_tasks_run_in_process() -> None:
    app.conf.task_always_eager = True
    try:
        outcomes = {run(checks.CeleryWorkers())[0], run(checks.QueueDepth())[0]}
    finally:
        app.conf.task_always_eager = False
    assert outcomes == {"NotApplicable"}


def _enqueue_evaluations(count: int) -> None:
    # On a connection of its own: the app's producer pool may point at another broker.
    with broker_connection(app) as conn:
        for interview_id in range(count):
            app.send_task(
                "interviews.tasks.evaluate_interview",
                args=[interview_id],
                queue="evaluation",
                connection=conn,
            )


def test_queue_depth__counts_messages_on_the_filesystem_broker(tmp_path: Path) -> None:
    with celery_broker("filesystem://", **filesystem_broker_options(tmp_path)):
        _enqueue_evaluations(3)
        check = checks.QueueDepth(warning=2)
        kind, message = run(check)
    assert (kind, message) == ("ServiceWarning", "more than 2 waiting: evaluation=3")
    assert check.observed["waiting"] == {"evaluation": 3, "maintenance": 0, "sandbox": 0}


@pytest.mark.services
def test_queue_depth__reads_the_redis_queue_lengths(redis_url: str) -> None:
    broker = redis_db(redis_url, CHECK_REDIS_DB)
    prefix = unique_prefix()  # queues no worker consumes, whoever shares this DB
    try:
        with celery_broker(broker, global_keyprefix=prefix):
            _enqueue_evaluations(2)
            below = run(checks.QueueDepth(warning=2))
            _enqueue_evaluations(1)
            above = run(checks.QueueDepth(warning=2))
    finally:
        delete_keys(broker, prefix)
    assert below == ("ok", "")
    assert above == ("ServiceWarning", "more than 2 waiting: evaluation=3")


# --- beat heartbeat ---------------------------------------------------------------------------
@pytest.fixture
def file_heartbeats(settings: object, tmp_path: Path) -> Path:
    """The embedded default: local-memory cache, so the heartbeat lives in VAR_DIR."""
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CACHES = locmem  # type: ignore[attr-defined]
    return tmp_path


def test_beat_check__warns_until_a_heartbeat_was_recorded(file_heartbeats: Path) -> None:
    assert run(checks.BeatHeartbeat()) == ("ServiceWarning", "no heartbeat recorded yet")
    beat_heartbeat()  # what a worker runs when beat sends it
    assert run(checks.BeatHeartbeat()) == ("ok", "")
    assert heartbeats.heartbeat_store() == "file"


def test_beat_check__warns_when_the_last_run_is_older_than_three_minutes(
    file_heartbeats: Path,
) -> None:
    now = datetime.now(UTC)
    heartbeats.beat_heartbeat_record(now=now - timedelta(seconds=170))
    assert run(checks.BeatHeartbeat()) == ("ok", "")
    heartbeats.beat_heartbeat_record(now=now - timedelta(seconds=200))
    kind, message = run(checks.BeatHeartbeat())
    assert kind == "ServiceWarning"
    assert message.startswith("last ran 20")
    assert message.endswith("(limit 180 s)")


@pytest.mark.services
def test_beat_check__shared_cache_holds_the_heartbeat(redis_url: str) -> None:
    location, prefix = redis_db(redis_url, CHECK_REDIS_DB), unique_prefix()
    try:
        with override_settings(CACHES=redis_cache(location, prefix)):
            assert heartbeats.heartbeat_store() == "cache"
            assert run(checks.BeatHeartbeat()) == ("ServiceWarning", "no heartbeat recorded yet")
            beat_heartbeat()
            assert run(checks.BeatHeartbeat()) == ("ok", "")
    finally:
        delete_keys(location, prefix)


def test_beat_check__unreadable_cache_is_a_warning_not_an_outage() -> None:
    with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{closed_port()}/0")):
        kind, message = run(checks.BeatHeartbeat())
    assert kind == "ServiceWarning"
    assert message.startswith("cannot read the heartbeat")
    assert issubclass(ServiceWarning, checks.HealthCheckException)


@pytest.mark.django_db
def test_migration__schedules_the_heartbeat_every_minute_on_maintenance() -> None:
    ensure_migration_rows("monitoring", "0001_beat_heartbeat_schedule", "install")
    task = PeriodicTask.objects.select_related("interval").get(name=heartbeats.BEAT_SCHEDULE_NAME)
    assert task.task == heartbeats.BEAT_TASK_NAME
    assert (task.interval.every, task.interval.period) == (
        heartbeats.BEAT_INTERVAL_SECONDS,
        "seconds",
    )
    assert (task.queue, task.expire_seconds, task.enabled) == (
        "maintenance",
        heartbeats.BEAT_EXPIRES_SECONDS,
        True,
    )
