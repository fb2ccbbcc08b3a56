"""The Celery hooks: the one place a terminal failure becomes a dead-letter row.

`task_failure` fires only when a task is done failing: Celery sends `task_retry` instead while
retries remain, so intermediate failures never land here. It fires in the pool process for an
exception the task raised, and in the worker's main process for a pool process that died
(WorkerLostError) or was killed at the hard time limit (TimeLimitExceeded). In that last case
Celery does not expose the request, so the main process remembers the requests it received
(weakly: a finished request is garbage-collected and drops out) to know the attempt count.

`task_success` resolves an entry whose retry succeeded.
"""

import logging
import weakref
from typing import Any

from celery import signals
from celery.exceptions import TimeLimitExceeded
from django.db import DatabaseError

from resilience.dlq.services import dead_letter_capture, dead_letter_resolve

logger = logging.getLogger(__name__)

_received: "weakref.WeakValueDictionary[str, Any]" = weakref.WeakValueDictionary()


def exception_type_name(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def _request_info(sender: Any, task_id: str) -> tuple[int, str]:
    """(attempts, queue) of the failed run, from the task's context or the received request."""
    context = getattr(sender, "request", None)
    retries: int | None = None
    delivery: dict[str, Any] = {}
    if context is not None and getattr(context, "id", None) == task_id:
        retries = getattr(context, "retries", None)
        delivery = getattr(context, "delivery_info", None) or {}
    else:
        request = _received.get(task_id)
        if request is not None:
            retries = request.request_dict.get("retries")
            delivery = request.delivery_info or {}
    queue = str(delivery.get("routing_key") or "")
    if not queue:  # eager runs and a few failure paths carry no delivery info: ask the router
        try:
            route = sender.app.amqp.router.route({}, sender.name)
        except KeyError:  # QueueNotFound: routed to an undeclared queue; keep the row anyway
            route = {}
        queue = getattr(route.get("queue"), "name", "") or ""
    return (retries or 0) + 1, queue


def on_task_received(sender: Any = None, request: Any = None, **_: Any) -> None:
    if request is not None:
        _received[request.id] = request


def on_task_failure(
    sender: Any = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    einfo: Any = None,
    **_: Any,
) -> None:
    if sender is None or task_id is None or exception is None:
        return
    attempts, queue = _request_info(sender, task_id)
    message = str(exception)
    if isinstance(exception, TimeLimitExceeded) and exception.args:
        limit = exception.args[0]
        message = f"Hard time limit ({limit}s) exceeded; the pool process was killed."
    try:
        dead_letter_capture(
            task_name=sender.name,
            task_id=task_id,
            queue=queue,
            args=list(args or ()),
            kwargs=dict(kwargs or {}),
            exception_type=exception_type_name(exception),
            exception_message=message,
            traceback=str(getattr(einfo, "traceback", "") or ""),
            attempts=attempts,
        )
    except DatabaseError:
        # The failure must not vanish silently: the log line carries what the row would have.
        logger.exception(
            "cannot record terminal failure of %s[%s] args=%r kwargs=%r: %r",
            sender.name,
            task_id,
            args,
            kwargs,
            exception,
        )


def on_task_success(sender: Any = None, **_: Any) -> None:
    task_id = getattr(getattr(sender, "request", None), "id", None)
    if not task_id:
        return
    try:
        if dead_letter_resolve(task_id=task_id):
            logger.info("retry %s of %s succeeded; dead letter resolved", task_id, sender.name)
    except DatabaseError:
        logger.exception("cannot resolve the dead letter retried as %s", task_id)


def connect_signals() -> None:
    """Connect the hooks (ResilienceConfig.ready); dispatch uids make it idempotent."""
    signals.task_received.connect(on_task_received, weak=False, dispatch_uid="dlq.received")
    signals.task_failure.connect(on_task_failure, weak=False, dispatch_uid="dlq.failure")
    signals.task_success.connect(on_task_success, weak=False, dispatch_uid="dlq.success")
