"""Health checks: small dataclasses that raise typed errors (django-health-check 4).

Each endpoint's list of checks is in monitoring/urls.py. A check raises ServiceUnavailable
when its dependency is down (unhealthy), ServiceWarning when it works but needs attention
(degraded), and NotApplicable when it cannot be made in this configuration, saying why,
instead of a green it has not earned. Every check has a short time limit, a `name` (the key in
JSON reports), a `recommendation` for operators, and `details()`: what it saw, never secrets.
"""

import asyncio
import dataclasses
import datetime
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from health_check import checks as stock
from health_check.base import HealthCheck
from health_check.exceptions import (
    HealthCheckException,
    ServiceReturnedUnexpectedResult,
    ServiceUnavailable,
    ServiceWarning,
)
from redis.exceptions import RedisError

from monitoring import heartbeats
from monitoring.celery_status import (
    BrokerUnreachable,
    WorkersReport,
    broker_connection,
    broker_transport,
    celery_app,
    declared_queues,
    queue_depths,
    workers_report,
)


class NotApplicable(HealthCheckException):
    """The check cannot be made in this configuration (the message says why)."""

    message_type = "Not applicable"


@dataclasses.dataclass
class Database(stock.Database):
    """SELECT 1 on a fresh or health-checked connection."""

    name: ClassVar[str] = "database"
    recommendation: ClassVar[str] = (
        "Check that the database server is up and reachable, DATABASE_URL is right and "
        "max_connections is not exhausted. Processes reconnect on their own once it is back."
    )
    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=2), repr=False
    )

    def details(self) -> dict[str, Any]:
        return {"alias": self.alias, "vendor": connections[self.alias].vendor}


@dataclasses.dataclass
class Cache(stock.Cache):
    """Set and read back a key in the cache (Redis DB 2 in production)."""

    name: ClassVar[str] = "cache"
    recommendation: ClassVar[str] = (
        "Check Redis (REDIS_URL): is it up, reachable, and not out of memory? Until it is "
        "back, the question cache misses and circuit breakers fall back to local state."
    )
    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=2), repr=False
    )

    def details(self) -> dict[str, Any]:
        return {"alias": self.alias, "backend": type(caches[self.alias]).__name__}


@dataclasses.dataclass
class ChannelLayer(HealthCheck):
    """Send one message to a fresh channel and receive it back."""

    name: ClassVar[str] = "channel_layer"
    recommendation: ClassVar[str] = (
        "Check Redis (REDIS_URL, DB 1): while the channel layer is down, interview events "
        "cannot reach sockets held by other web processes."
    )
    alias: str = "default"
    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=2), repr=False
    )

    async def run(self) -> None:
        layer = get_channel_layer(self.alias)
        if layer is None:
            raise NotApplicable("no channel layer is configured")
        nonce = uuid.uuid4().hex
        try:
            async with asyncio.timeout(self.timeout.total_seconds()):
                channel = await layer.new_channel()
                await layer.send(channel, {"type": "health.check", "nonce": nonce})
                message = await layer.receive(channel)
        except TimeoutError as exc:
            seconds = self.timeout.total_seconds()
            raise ServiceUnavailable(f"no round trip within {seconds:g} s") from exc
        except (OSError, RedisError) as exc:
            raise ServiceUnavailable(f"unreachable ({type(exc).__name__})") from exc
        if message.get("nonce") != nonce:
            raise ServiceReturnedUnexpectedResult("received a different message than sent")

    def details(self) -> dict[str, Any]:
        return {"alias": self.alias, "backend": type(get_channel_layer(self.alias)).__name__}


# The verdicts, one definition each: the checks below raise them, and /health/workers/
# (monitoring/health.py) lists them from the one broker read it makes.
def broker_unreachable_problem(app: Any) -> str:
    return f"{broker_transport(app)} broker unreachable"


def workers_problem(report: WorkersReport, queues: Iterable[str], reply_timeout: float) -> str:
    """What is wrong with the workers that answered, or "" when nothing is."""
    if not report.workers:
        return f"no worker answered within {reply_timeout:g} s"
    idle = [q for q in queues if not report.consumers_of(q)]
    return f"no worker consumes queue(s): {', '.join(idle)}" if idle else ""


def queue_depth_problem(depths: Mapping[str, int], threshold: int) -> str:
    """Which queues hold more than `threshold` waiting messages, or ""."""
    over = {queue: n for queue, n in depths.items() if n > threshold}
    if not over:
        return ""
    listed = ", ".join(f"{queue}={n}" for queue, n in sorted(over.items()))
    return f"more than {threshold} waiting: {listed}"


def _eager_not_applicable() -> None:
    if celery_app().conf.task_always_eager:
        raise NotApplicable("tasks run in-process (CELERY_TASK_ALWAYS_EAGER): no workers")


@dataclasses.dataclass
class CeleryWorkers(HealthCheck):
    """Workers answer a broadcast within `reply_timeout`, and every declared queue has one."""

    name: ClassVar[str] = "celery_workers"
    recommendation: ClassVar[str] = (
        "Start or restart the workers (`celery -A interviewsite worker -Q evaluation,"
        "maintenance,sandbox`) and check their logs; until one consumes each queue, "
        "evaluations, maintenance and code runs wait in the broker. If the broker is "
        "unreachable, fix that first."
    )
    reply_timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=1), repr=False
    )
    # Two broadcasts of `reply_timeout` each, plus the embedded broker's 1 s polling.
    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=6), repr=False
    )
    observed: dict[str, Any] = dataclasses.field(default_factory=dict, init=False, repr=False)

    def run(self) -> None:
        _eager_not_applicable()
        app = celery_app()
        reply_timeout = self.reply_timeout.total_seconds()
        try:
            with broker_connection(app) as conn:
                report = workers_report(app, conn, reply_timeout)
        except BrokerUnreachable as exc:
            raise ServiceUnavailable(broker_unreachable_problem(app)) from exc
        self.observed = {"workers": [w.name for w in report.workers]}
        problem = workers_problem(report, declared_queues(app), reply_timeout)
        if problem:
            raise ServiceUnavailable(problem)

    def details(self) -> dict[str, Any]:
        app = celery_app()
        return {"broker": broker_transport(app), "queues": list(declared_queues(app))} | (
            self.observed
        )


@dataclasses.dataclass
class QueueDepth(HealthCheck):
    """Warns when more than QUEUE_DEPTH_WARNING messages wait in a queue."""

    name: ClassVar[str] = "queue_depth"
    recommendation: ClassVar[str] = (
        "Work arrives faster than it is done: add workers (more processes or machines, or "
        "`-Q evaluation` workers for evaluations) and check for slow or failing tasks."
    )
    warning: int | None = dataclasses.field(default=None, repr=False)  # None: the setting
    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=3), repr=False
    )
    observed: dict[str, Any] = dataclasses.field(default_factory=dict, init=False, repr=False)

    def run(self) -> None:
        _eager_not_applicable()
        app = celery_app()
        threshold = settings.QUEUE_DEPTH_WARNING if self.warning is None else self.warning
        try:
            with broker_connection(app) as conn:
                depths = queue_depths(app, conn)
        except BrokerUnreachable as exc:
            raise ServiceUnavailable(broker_unreachable_problem(app)) from exc
        self.observed = {"waiting": depths, "warning_threshold": threshold}
        problem = queue_depth_problem(depths, threshold)
        if problem:
            raise ServiceWarning(problem)

    def details(self) -> dict[str, Any]:
        return {"broker": broker_transport(celery_app())} | self.observed


@dataclasses.dataclass
class BeatHeartbeat(HealthCheck):
    """Warns when the beat heartbeat task has not run for `stale_after`."""

    name: ClassVar[str] = "celery_beat"
    recommendation: ClassVar[str] = (
        "Make sure exactly one `celery -A interviewsite beat` runs and a worker consumes the "
        "`maintenance` queue; periodic maintenance does not happen while this is stale."
    )
    stale_after: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=heartbeats.BEAT_STALE_AFTER_SECONDS), repr=False
    )
    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=2), repr=False
    )
    observed: dict[str, Any] = dataclasses.field(default_factory=dict, init=False, repr=False)

    def run(self) -> None:
        try:
            last_run = heartbeats.beat_last_run()
        except (RedisError, OSError, ValueError) as exc:
            raise ServiceWarning(f"cannot read the heartbeat ({type(exc).__name__})") from exc
        if last_run is None:
            raise ServiceWarning("no heartbeat recorded yet")
        age = datetime.datetime.now(datetime.UTC) - last_run
        self.observed = {
            "last_run": last_run.isoformat(),
            "age_seconds": round(age.total_seconds()),
        }
        if age > self.stale_after:
            limit = self.stale_after.total_seconds()
            raise ServiceWarning(f"last ran {age.total_seconds():.0f} s ago (limit {limit:g} s)")

    def details(self) -> dict[str, Any]:
        return {"store": heartbeats.heartbeat_store()} | self.observed
