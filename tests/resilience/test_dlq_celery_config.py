"""The Celery configuration the dead-letter queue relies on, and its start-up validation."""

import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings

from interviewsite.celery import app, broker_problems, check_broker_settings
from tests.e2e.stack import BIN, ROOT, base_env


def test_app__explicit_queues_late_acks_one_prefetch_and_time_limits() -> None:
    conf = app.conf
    assert [q.name for q in conf.task_queues] == ["evaluation", "maintenance", "sandbox"]
    assert conf.task_create_missing_queues is False
    route = app.amqp.router.route({}, "interviews.tasks.evaluate_interview")
    assert route["queue"].name == "evaluation"
    assert app.amqp.router.route({}, "sandbox.tasks.run_code")["queue"].name == "sandbox"
    assert (
        app.amqp.router.route({}, "resilience.tasks.dead_letters.purge_dead_letters")["queue"].name
        == "maintenance"
    )
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is False
    assert conf.worker_prefetch_multiplier == 1
    assert conf.worker_cancel_long_running_tasks_on_connection_loss is True
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit


def test_redis_layout__broker_channel_layer_and_cache_use_separate_databases(
    redis_url: str,
) -> None:
    broker = django_settings.CELERY_BROKER_URL
    layers: Any = django_settings.CHANNEL_LAYERS
    channel = layers["default"]["CONFIG"]["hosts"][0]["address"]
    cache = django_settings.CACHES["default"]["LOCATION"]
    assert len({broker, channel, cache}) == 3
    assert broker_problems(django_settings) == []
    assert django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > (
        django_settings.CELERY_TASK_TIME_LIMIT + django_settings.EVALUATION_RETRY_MAX_SECONDS
    )


def test_visibility_timeout_not_above_hard_limit_plus_countdown__check_error(
    settings: Any,
) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/8"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
    settings.CELERY_TASK_TIME_LIMIT = 300
    settings.EVALUATION_RETRY_MAX_SECONDS = 300

    [error] = check_broker_settings()

    assert error.id == "interviewsite.E001"
    assert "CELERY_VISIBILITY_TIMEOUT (600s)" in error.msg
    assert "= 600s" in error.msg


def test_soft_limit_not_below_hard_limit_and_shared_redis_db__check_errors(settings: Any) -> None:
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 300
    settings.CELERY_TASK_TIME_LIMIT = 300
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/10"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/10",
        }
    }

    messages = [e.msg for e in check_broker_settings()]

    assert any("CELERY_TASK_SOFT_TIME_LIMIT (300s) must be below" in m for m in messages)
    assert any("share Redis database" in m and "cache" in m for m in messages)


def test_worker_with_a_too_short_visibility_timeout__refuses_to_start(
    redis_url: str, tmp_path: Path
) -> None:
    env = base_env(
        REDIS_URL=redis_url,
        VAR_DIR=str(tmp_path / "var"),
        CELERY_VISIBILITY_TIMEOUT="100",
    )
    result = subprocess.run(
        [str(BIN / "celery"), "-A", "interviewsite", "worker", "-Q", "maintenance"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "ImproperlyConfigured" in output
    assert "CELERY_VISIBILITY_TIMEOUT (100s) must exceed" in output
