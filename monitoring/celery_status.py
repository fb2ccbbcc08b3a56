"""What the broker and the Celery workers say right now, with short time limits.

Works on every broker Celery is configured with: kombu reports a queue's size for Redis (LLEN
of the queue's list and its priority lists), the embedded filesystem broker (message files)
and AMQP (queue.declare's message count). Workers answer broadcast control commands on all
three; kombu's filesystem transport implements fanout through its control folder.
"""

import contextlib
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from celery import Celery
from celery.app.control import Control
from kombu import Connection

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 1.0


class BrokerUnreachable(Exception):
    """The broker refused or did not answer within the time limit."""


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    queues: tuple[str, ...]
    active: int  # tasks executing now


@dataclass(frozen=True)
class WorkersReport:
    workers: tuple[WorkerInfo, ...]
    active_by_queue: dict[str, int] = field(default_factory=dict)

    def consumers_of(self, queue: str) -> list[str]:
        return [w.name for w in self.workers if queue in w.queues]


def celery_app() -> Celery:
    from interviewsite.celery import app

    return app


def declared_queues(app: Celery) -> tuple[str, ...]:
    """The queues named in app.conf.task_queues (or the default queue)."""
    queues = app.conf.task_queues or ()
    names = tuple(q.name for q in queues) if queues else (app.conf.task_default_queue,)
    return tuple(sorted(names))


def broker_transport(app: Celery) -> str:
    """The broker's scheme (redis, filesystem, amqp, ...); never the URL, which holds secrets."""
    return urlsplit(str(app.conf.broker_url or "")).scheme or "unknown"


@contextlib.contextmanager
def broker_connection(app: Celery, timeout: float = BROKER_TIMEOUT_SECONDS) -> Iterator[Connection]:
    """A fresh broker connection that fails within `timeout` instead of retrying."""
    conn = app.connection_for_read(
        connect_timeout=timeout,
        transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout},
    )
    try:
        try:
            conn.ensure_connection(max_retries=0)
        except Exception as exc:  # kombu wraps every transport's connection errors
            raise BrokerUnreachable(f"{type(exc).__name__}: {exc}") from exc
        yield conn
    finally:
        conn.release()


def queue_depths(app: Celery, conn: Connection) -> dict[str, int]:
    """Messages waiting in each declared queue (not counting those a worker holds)."""
    depths: dict[str, int] = {}
    channel = conn.default_channel
    for name in declared_queues(app):
        # A non-passive declare: kombu's passive declare raises for an empty Redis queue
        # (an empty list does not exist), and the workers declare the same queues anyway.
        result: Any = app.amqp.queues[name].bind(channel).queue_declare()
        depths[name] = int(result.message_count) if result else 0
    return depths


def _control(app: Celery) -> Control:
    """A control client that broadcasts on the connection it is given.

    app.control publishes through the app's producer pool, which may hold a connection to
    another broker (or a stale one); a check must talk to the broker it just connected to.
    """
    control = Control(app)
    control.mailbox.producer_pool = None  # type: ignore[attr-defined]
    return control


def _replies(control: Control, conn: Connection, command: str, **options: Any) -> dict[str, Any]:
    replies = control.broadcast(command, connection=conn, reply=True, **options) or []
    return {name: reply for item in replies for name, reply in item.items()}


def workers_report(app: Celery, conn: Connection, timeout: float) -> WorkersReport:
    """Workers that answered within `timeout`, the queues they consume and their active tasks."""
    control = _control(app)
    queues = _replies(control, conn, "active_queues", timeout=timeout)
    names = sorted(queues)
    active: dict[str, Any] = {}
    if names:
        # Everyone who answered the first broadcast; stop waiting once they all have.
        active = _replies(
            control, conn, "active", timeout=timeout, destination=names, limit=len(names)
        )
    by_queue: Counter[str] = Counter()
    for tasks in active.values():
        for task in tasks or ():
            delivery = task.get("delivery_info") or {}
            # Queues here are routed by a routing key equal to their name.
            if isinstance(delivery, dict) and delivery.get("routing_key"):
                by_queue[str(delivery["routing_key"])] += 1
    workers = tuple(
        WorkerInfo(
            name=name,
            queues=tuple(sorted(str(q.get("name")) for q in queues[name] or ())),
            active=len(active.get(name) or ()),
        )
        for name in names
    )
    return WorkersReport(workers=workers, active_by_queue=dict(by_queue))
