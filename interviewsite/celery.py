"""The Celery app. Queues are declared explicitly so a worker never silently creates one.

Every setting here and in interviewsite/settings/workers.py is explained, with its default, in
docs/architecture.md ("Celery"). The broker timings are validated when a worker starts (it
refuses to start) and by `manage.py check`.
"""

import os
from typing import Any
from urllib.parse import urlsplit

from celery import Celery, bootsteps
from celery.loaders.app import AppLoader
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewsite.settings")

# `sandbox` runs candidate code: its workers can be scaled and isolated apart (docs/sandbox.md).
QUEUES = ("evaluation", "maintenance", "sandbox")


class ProjectLoader(AppLoader):
    """Celery's loader, preparing the process (interviewsite/runtime.py) when a worker or beat
    starts: before its Django set-up, which imports prometheus_client."""

    def init_worker(self) -> None:
        if not self.worker_initialized:
            from interviewsite.runtime import prepare_process

            prepare_process()
        super().init_worker()


app = Celery("interviewsite", loader="interviewsite.celery:ProjectLoader")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_queues=tuple(
        Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES
    ),
    task_default_queue="maintenance",
    task_default_exchange="maintenance",
    task_default_routing_key="maintenance",
    task_routes={
        "interviews.tasks.evaluate_interview": {
            "queue": "evaluation",
            "exchange": "evaluation",
            "routing_key": "evaluation",
        },
        "sandbox.tasks.run_code": {
            "queue": "sandbox",
            "exchange": "sandbox",
            "routing_key": "sandbox",
        },
        "interviews.tasks.run_submission_tests": {
            "queue": "sandbox",
            "exchange": "sandbox",
            "routing_key": "sandbox",
        },
    },
    task_create_missing_queues=False,
    # A task is acknowledged after it finishes, so a crashed worker's task is redelivered;
    # its service must therefore be idempotent (evaluation is).
    task_acks_late=True,
    # A pool process that dies mid-task (OOM kill, segfault) fails the task into the
    # dead-letter queue instead of requeueing it: a task that kills its process would
    # otherwise be redelivered forever. A whole worker that dies never acks, so Redis
    # redelivers its tasks after the visibility timeout.
    task_reject_on_worker_lost=False,
    # One task reserved per pool process: a long evaluation never holds others hostage.
    worker_prefetch_multiplier=1,
    # A lost broker connection means the unacked task will be redelivered; stop running it
    # here rather than run it twice.
    worker_cancel_long_running_tasks_on_connection_loss=True,
    task_ignore_result=True,
    task_serializer="json",
    accept_content=["json"],
    broker_connection_retry_on_startup=True,
    beat_scheduler="django_celery_beat.schedulers:DatabaseScheduler",
    timezone="UTC",
)
app.autodiscover_tasks()


def _redis_location(url: str) -> tuple[str, str]:
    """(server, database number) of a redis:// URL."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}", parts.path.strip("/") or "0"


def broker_problems(settings: Any) -> list[str]:
    """What is wrong with the broker timings and Redis layout in these Django settings."""
    problems: list[str] = []
    hard = settings.CELERY_TASK_TIME_LIMIT
    soft = settings.CELERY_TASK_SOFT_TIME_LIMIT
    if any(isinstance(v, bool) or not isinstance(v, int) for v in (hard, soft) if v is not None):
        # Compared below: a wrong type gets its own message instead of a crashed check.
        return ["CELERY_TASK_TIME_LIMIT and CELERY_TASK_SOFT_TIME_LIMIT must be whole seconds."]
    if hard is not None and soft is not None and soft >= hard:
        problems.append(
            f"CELERY_TASK_SOFT_TIME_LIMIT ({soft}s) must be below CELERY_TASK_TIME_LIMIT "
            f"({hard}s), or a task never gets the chance to clean up."
        )
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith(("redis://", "rediss://")):
        return problems
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    # A retry's countdown is spent reserved by a worker, unacknowledged, before it even runs.
    longest_countdown = settings.EVALUATION_RETRY_MAX_SECONDS
    needed = (hard or 0) + longest_countdown
    if visibility <= needed:
        problems.append(
            f"CELERY_VISIBILITY_TIMEOUT ({visibility}s) must exceed CELERY_TASK_TIME_LIMIT "
            f"({hard}s) plus EVALUATION_RETRY_MAX_SECONDS ({longest_countdown}s) = {needed}s; "
            "otherwise Redis hands a running or waiting task to a second worker."
        )
    others: dict[str, list[str]] = {"channel layer": [], "cache": []}
    for layer in settings.CHANNEL_LAYERS.values():
        others["channel layer"] += [
            h["address"] if isinstance(h, dict) else h
            for h in layer.get("CONFIG", {}).get("hosts", [])
        ]
    for cache in settings.CACHES.values():
        location = cache.get("LOCATION", "")
        others["cache"] += [location] if isinstance(location, str) else list(location)
    for what, urls in others.items():
        for url in urls:
            redis = isinstance(url, str) and url.startswith(("redis://", "rediss://"))
            if redis and _redis_location(url) == _redis_location(broker):
                problems.append(
                    f"The Celery broker and the {what} share Redis database {url}; a FLUSHDB "
                    "of one would take the other with it."
                )
    return problems


class ValidateBrokerSettings(bootsteps.Step):
    """Refuse to start a worker whose broker timings would redeliver running tasks."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        from django.conf import settings

        problems = broker_problems(settings)
        if problems:
            raise ImproperlyConfigured(" ".join(problems))
        super().__init__(parent, **kwargs)


class ValidateRedisDatabases(bootsteps.Step):
    """Refuse to start a worker on a Redis server without REDIS_URL's four databases: its
    cache and breaker-state calls would all fail (monitoring/redis_check.py)."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        from django.conf import settings
        from redis.exceptions import RedisError

        from monitoring.redis_check import redis_databases_problem

        if settings.REDIS_URL:
            try:
                problem = redis_databases_problem(settings.REDIS_URL)
            except (RedisError, OSError):
                problem = None  # unreachable now: the broker connection retries and says so
            if problem:
                raise ImproperlyConfigured(problem)
        super().__init__(parent, **kwargs)


app.steps["worker"].add(ValidateBrokerSettings)
app.steps["worker"].add(ValidateRedisDatabases)


@checks.register("celery")
def check_broker_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.conf import settings

    return [checks.Error(problem, id="interviewsite.E001") for problem in broker_problems(settings)]
