"""Side effects that must only happen once the data they announce is committed."""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)


def interview_group(interview_id: int) -> str:
    return f"interview.{interview_id}"


def broadcast_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send `event` to every socket in `group` after the surrounding transaction commits.

    A broadcast is best-effort: the event is already persisted, and a client that misses it
    gets it on its next `hello` replay, so a channel-layer hiccup is logged, not raised.
    """

    def send(group: str = group, event: dict[str, Any] = event) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, {"type": "interview.event", "event": event})
        except Exception:
            logger.exception("broadcast to %s failed; clients will catch up on replay", group)

    transaction.on_commit(send)


def enqueue_on_commit(task: Any, **kwargs: Any) -> None:
    """Enqueue a Celery task by ids once the rows it reads are committed.

    The rows are committed by then, so a broker that cannot take the message must not turn a
    finished request into an error: the failure is logged, and the stuck sweep sends the task
    of an evaluation left pending again (interviews/services/maintenance.py).
    """

    def send(task: Any = task, kwargs: dict[str, Any] = kwargs) -> None:
        try:
            task.delay(**kwargs)
        except (KombuOperationalError, OSError):
            logger.exception("could not enqueue %s %s (is the broker down?)", task.name, kwargs)

    transaction.on_commit(send)
