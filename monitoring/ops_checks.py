"""Operations health checks: open circuit breakers, the dead-letter backlog and stuck work (see
monitoring/checks.py for the conventions: typed errors, a recommendation, details without
secrets)."""

import dataclasses
import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import DatabaseError, connections
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning

from monitoring.operations import breaker_rows, stuck_work
from resilience.dlq.selectors import dead_letter_stats


@dataclasses.dataclass
class OperationsCheck(HealthCheck):
    """A check that reads the database on the executor thread it runs on, and reports what it
    saw in `details()`."""

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=3), repr=False
    )
    observed: dict[str, Any] = dataclasses.field(default_factory=dict, init=False, repr=False)

    def run(self) -> None:
        try:
            self.inspect()
        finally:
            # Sync checks run on executor threads: do not leave a connection behind on each.
            connections.close_all()

    def inspect(self) -> None:
        raise NotImplementedError

    def details(self) -> dict[str, Any]:
        return self.observed


@dataclasses.dataclass
class CircuitBreakers(OperationsCheck):
    """A critical breaker open makes the service unhealthy; any other open one warns."""

    name: ClassVar[str] = "circuit_breakers"
    recommendation: ClassVar[str] = (
        "A dependency behind an open breaker is failing or slow: check it (for LLM providers, "
        "their status page and our llm_calls_total by outcome). Interviews continue on "
        "fallbacks meanwhile. A breaker forced open by staff stays open until restored in "
        "Admin → Circuit breakers."
    )

    def inspect(self) -> None:
        rows = breaker_rows()
        opened = [row for row in rows if row.is_open]
        unreadable = [row.name for row in rows if not row.readable]
        self.observed = {
            "breakers": len(rows),
            "open": [row.name for row in opened],
            "unreadable": unreadable,
        }
        critical = [row.name for row in opened if row.critical]
        if critical:
            raise ServiceUnavailable(f"critical breaker(s) open: {', '.join(critical)}")
        if opened:
            raise ServiceWarning(f"breaker(s) open: {', '.join(row.name for row in opened)}")
        if unreadable:
            raise ServiceWarning(f"state store unreadable for: {', '.join(unreadable)}")


@dataclasses.dataclass
class DeadLetterBacklog(OperationsCheck):
    """Warns above DLQ_BACKLOG_WARNING pending dead letters, or when the oldest pending one
    has waited DLQ_BACKLOG_MAX_AGE_HOURS (the thresholds the seed system alerted on)."""

    name: ClassVar[str] = "dead_letters"
    recommendation: ClassVar[str] = (
        "Tasks failed for good and wait for a person: open Admin → Dead letters (pending), read "
        "the tracebacks, fix the cause, then retry or discard them (docs/operations.md, "
        '"Dead-letter queue").'
    )

    def inspect(self) -> None:
        try:
            stats = dead_letter_stats()
        except DatabaseError as exc:
            raise ServiceUnavailable("cannot read the dead-letter queue") from exc
        self.observed = stats.as_dict()
        limit = settings.DLQ_BACKLOG_WARNING
        max_age = datetime.timedelta(hours=settings.DLQ_BACKLOG_MAX_AGE_HOURS)
        age = stats.oldest_pending_age
        if stats.pending > limit:
            raise ServiceWarning(f"{stats.pending} dead letters pending (more than {limit})")
        if age is not None and age > max_age:
            hours = age.total_seconds() / 3600
            raise ServiceWarning(f"the oldest pending dead letter has waited {hours:.1f} h")


@dataclasses.dataclass
class StuckWork(OperationsCheck):
    """Warns while interviews or evaluations are stuck, or evaluations wait for a task that is
    not coming (the sweep has not dealt with them)."""

    name: ClassVar[str] = "stuck_work"
    recommendation: ClassVar[str] = (
        "The stuck sweep runs every 5 minutes on beat; if this persists, check that beat and a "
        "maintenance worker run (celery_beat, celery_workers) or run "
        "`python manage.py sweep_stuck --dry-run` to see the rows, then without --dry-run."
    )

    def inspect(self) -> None:
        counts = stuck_work()
        if counts is None:
            raise ServiceUnavailable("cannot count stuck work (database error)")
        self.observed = counts
        if any(counts.values()):
            listed = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items() if n)
            raise ServiceWarning(f"stuck: {listed}")
