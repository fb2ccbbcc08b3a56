"""From check results to the three outcomes operators act on, and the JSON reports.

- healthy: every check passed (or does not apply here).
- degraded: something needs attention (a warning), but the service works: HTTP 200.
- unhealthy: a dependency is down: HTTP 503.
"""

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError
from django.utils.module_loading import import_string
from health_check.base import HealthCheck, HealthCheckResult
from health_check.exceptions import ServiceWarning

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
from monitoring.checks import (
    NotApplicable,
    broker_unreachable_problem,
    queue_depth_problem,
    workers_problem,
)
from monitoring.operations import breaker_rows, counters_snapshot
from retrieval.selectors import retrieval_status

logger = logging.getLogger(__name__)

OK, WARNING, NOT_APPLICABLE, UNAVAILABLE = "ok", "warning", "not_applicable", "unavailable"
HEALTHY, DEGRADED, UNHEALTHY = "healthy", "degraded", "unhealthy"
NO_ACTION = "No action needed."
WORKERS_REPLY_TIMEOUT = 1.0


def result_status(result: HealthCheckResult) -> str:
    if result.error is None:
        return OK
    if isinstance(result.error, NotApplicable):
        return NOT_APPLICABLE
    if isinstance(result.error, ServiceWarning):
        return WARNING
    return UNAVAILABLE


def overall(statuses: Iterable[str]) -> str:
    seen = set(statuses)
    if UNAVAILABLE in seen:
        return UNHEALTHY
    return DEGRADED if WARNING in seen else HEALTHY


def http_status(summary: str) -> int:
    return 503 if summary == UNHEALTHY else 200


def check_name(check: HealthCheck) -> str:
    return str(getattr(check, "name", "") or type(check).__name__)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


async def run_checks(checks: Iterable[HealthCheck]) -> list[HealthCheckResult]:
    return list(await asyncio.gather(*(check.get_result() for check in checks)))


def health_payload(results: list[HealthCheckResult]) -> dict[str, Any]:
    """/health/…?format=json: the outcome and one line per check."""
    statuses = [result_status(r) for r in results]
    return {
        "status": overall(statuses),
        "timestamp": now_iso(),
        "checks": {
            check_name(r.check): {
                "status": status,
                "message": r.error.message if r.error else "OK",
                "latency_ms": round(r.time_taken * 1000, 1),
            }
            for r, status in zip(results, statuses, strict=True)
        },
    }


def infrastructure_payload(results: list[HealthCheckResult]) -> dict[str, Any]:
    """/health/infrastructure/: per dependency, what was seen and what to do about it."""
    dependencies: dict[str, Any] = {}
    for result in results:
        status = result_status(result)
        details_of = getattr(result.check, "details", None)
        try:
            details = details_of() if details_of else {}
        except Exception:  # details are a courtesy; a failing one must not hide the report
            logger.exception("health: details of %s failed", check_name(result.check))
            details = {}
        dependencies[check_name(result.check)] = {
            "status": status,
            "message": result.error.message if result.error else "OK",
            "latency_ms": round(result.time_taken * 1000, 1),
            "details": details,
            "recommendation": (
                getattr(result.check, "recommendation", "")
                if status in (UNAVAILABLE, WARNING)
                else NO_ACTION
            ),
        }
    return {
        "status": overall(d["status"] for d in dependencies.values()),
        "timestamp": now_iso(),
        "dependencies": dependencies,
    }


# --- /health/workers/ --------------------------------------------------------------------------
def failed_counts() -> dict[str, int] | None:
    """Failed work per queue from every source in HEALTH_FAILED_TASK_COUNTERS, summed."""
    totals: dict[str, int] = {}
    try:
        for path in settings.HEALTH_FAILED_TASK_COUNTERS:
            counts: Mapping[str, int] = import_string(path)()
            for queue, n in counts.items():
                totals[queue] = totals.get(queue, 0) + int(n)
    except DatabaseError:
        logger.exception("health: cannot count failed tasks")
        return None
    return totals


def redis_connected() -> bool:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=1.0, socket_connect_timeout=1.0
    )
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def workers_payload() -> dict[str, Any]:
    started = time.perf_counter()
    app = celery_app()
    queues = declared_queues(app)
    threshold = settings.QUEUE_DEPTH_WARNING
    problems: list[str] = []
    depths: dict[str, int] = {}
    report = WorkersReport(workers=())
    broker_ok = True
    try:
        with broker_connection(app) as conn:
            depths = queue_depths(app, conn)
            report = workers_report(app, conn, WORKERS_REPLY_TIMEOUT)
    except BrokerUnreachable:
        broker_ok = False
        problems.append(broker_unreachable_problem(app))
    failed = failed_counts()
    if failed is None:
        problems.append("failed task counts unavailable (database error)")
    eager = bool(app.conf.task_always_eager)
    # The verdicts of /health/'s celery_workers and queue_depth checks, in their words.
    if broker_ok and not eager:
        problems.append(workers_problem(report, queues, WORKERS_REPLY_TIMEOUT))
    warnings = [queue_depth_problem(depths, threshold)]
    problems, warnings = [p for p in problems if p], [w for w in warnings if w]
    status = UNHEALTHY if problems else DEGRADED if warnings else HEALTHY
    return {
        "status": status,
        "timestamp": now_iso(),
        "responseTime": round((time.perf_counter() - started) * 1000, 1),
        "redis": {
            "configured": bool(settings.REDIS_URL),
            "connected": redis_connected() if settings.REDIS_URL else False,
        },
        "broker": {"transport": broker_transport(app), "connected": broker_ok},
        "queues": {
            q: {
                "waiting": depths.get(q) if broker_ok else None,
                "active": report.active_by_queue.get(q, 0),
                "failed": failed.get(q, 0) if failed is not None else None,
                "consumers": len(report.consumers_of(q)),
            }
            for q in queues
        },
        "workers": [
            {"name": w.name, "queues": list(w.queues), "active": w.active} for w in report.workers
        ],
        "problems": problems + warnings,
        "eager": eager,
    }


# --- /health/circuit-breakers/ -----------------------------------------------------------------
def breakers_payload() -> dict[str, Any]:
    """Every breaker's state and counters, and the headline counters of the realtime path."""
    started = time.perf_counter()
    rows = breaker_rows()
    opened = [row for row in rows if row.is_open]
    if any(row.critical for row in opened):
        status = UNHEALTHY
    elif opened or not all(row.readable for row in rows):
        status = DEGRADED
    else:
        status = HEALTHY
    return {
        "status": status,
        "timestamp": now_iso(),
        "responseTime": round((time.perf_counter() - started) * 1000, 1),
        "breakers": {row.name: row.as_json() for row in rows},
        "circuit_breakers": {row.name: row.state for row in rows},  # the reference's shape
        "open": [row.name for row in opened],
        "retrieval": retrieval_status(),
        "metrics": counters_snapshot(),
    }
