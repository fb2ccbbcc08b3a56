"""The Celery app. Queues are declared explicitly so a worker never silently creates one."""

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewsite.settings")

app = Celery("interviewsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_queues=tuple(
        Queue(name, Exchange(name, type="direct"), routing_key=name)
        for name in ("evaluation", "maintenance")
    ),
    task_default_queue="maintenance",
    task_default_exchange="maintenance",
    task_default_routing_key="maintenance",
    task_routes={
        "interviews.tasks.evaluate_interview": {
            "queue": "evaluation",
            "exchange": "evaluation",
            "routing_key": "evaluation",
        }
    },
    task_create_missing_queues=False,
    # A task is acknowledged after it finishes, so a crashed worker's task is redelivered;
    # its service must therefore be idempotent (evaluation is).
    task_acks_late=True,
    task_reject_on_worker_lost=False,
    worker_prefetch_multiplier=1,
    worker_cancel_long_running_tasks_on_connection_loss=True,
    task_ignore_result=True,
    task_serializer="json",
    accept_content=["json"],
    broker_connection_retry_on_startup=True,
    beat_scheduler="django_celery_beat.schedulers:DatabaseScheduler",
    timezone="UTC",
)
app.autodiscover_tasks()
