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


def group_send_on_commit(group: str, message: dict[str, Any], *, what: str) -> None:
    """Send a channel-layer `message` to every socket in `group` once the transaction commits.

    Best-effort: a channel-layer hiccup is logged, not raised, because the data is committed
    and the request that changed it must not fail for it. `what` says in the log what a
    missed message means.
    """

    def send(group: str = group, message: dict[str, Any] = message) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            logger.exception("group send to %s failed; %s", group, what)

    transaction.on_commit(send)


def broadcast_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send a persisted `event` to every socket in `group` after the transaction commits.

    A client that misses it gets it on its next `hello` replay.
    """
    message = {"type": "interview.event", "event": event}
    group_send_on_commit(group, message, what="clients will catch up on replay")


def invite_changed_on_commit(interview_id: int) -> None:
    """Tell every socket of the interview, on every web process, that its invite link changed.

    Each socket checks its own token again and closes with 4401 if it no longer opens the
    interview (revoked, or replaced by a reissued link).
    """
    group_send_on_commit(
        interview_group(interview_id),
        {"type": "interview.invite_changed"},
        what="sockets of the old link stay open until they reconnect",
    )


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
