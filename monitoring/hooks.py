"""Celery signal receivers: request ids travel with tasks; exiting processes drop live gauges."""

import os
from typing import Any

from celery import signals

from monitoring.context import bind_request_id, current_request_id

# A message header: the id of the request (or socket) that enqueued the task.
REQUEST_ID_HEADER = "x_request_id"


def add_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


def bind_task_request_id(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    # The enqueuing request's id when there was one, else the task's own id, so a task's log
    # lines never carry the previous task's id.
    request = getattr(task, "request", None)
    propagated = request.get(REQUEST_ID_HEADER) if request is not None else None
    bind_request_id(str(propagated or task_id))


def unbind_task_request_id(**kwargs: Any) -> None:
    bind_request_id(None)


def mark_process_dead(pid: int | None = None, **kwargs: Any) -> None:
    """Remove this process's live gauges (multiprocess mode `livesum`/`liveall`)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


def connect() -> None:
    signals.before_task_publish.connect(add_request_id, dispatch_uid="monitoring.request_id")
    signals.task_prerun.connect(bind_task_request_id, dispatch_uid="monitoring.bind_task")
    signals.task_postrun.connect(unbind_task_request_id, dispatch_uid="monitoring.unbind_task")
    # A pool process's own pid; then the main process's.
    signals.worker_process_shutdown.connect(mark_process_dead, dispatch_uid="monitoring.dead")
    signals.worker_shutdown.connect(mark_process_dead, dispatch_uid="monitoring.dead_main")
