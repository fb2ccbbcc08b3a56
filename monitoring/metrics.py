"""Prometheus series of the web process, and the registry /metrics serves.

Multiprocess: each entry point (interviewsite/runtime.py) sets PROMETHEUS_MULTIPROC_DIR before
prometheus_client is first imported, so every metric of every process (uvicorn workers, Celery
workers, beat) lives in mmap files there, and a scrape of any web process reads them all.
Values that are cheaper to read than to track (evaluations by status, queue depth) are computed
at scrape time.
"""

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from monitoring.celery_status import (
    BrokerUnreachable,
    broker_connection,
    celery_app,
    queue_depths,
)
from resilience.breakers.state import State

logger = logging.getLogger(__name__)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"

HTTP_REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time from the first middleware to the response, by URL pattern (never the raw path).",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def route_of(request: HttpRequest) -> str:
    """The matched URL pattern, e.g. `i/<str:token>/`: bounded, and free of secrets."""
    match = getattr(request, "resolver_match", None)
    return str(match.route) if match is not None and match.route else UNMATCHED


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "OTHER"
    HTTP_REQUEST_SECONDS.labels(method=method, route=route, status=str(status)).observe(seconds)


def evaluations_family() -> Metric | None:
    """interviews_evaluations{status}: evaluations in each status; None if unreadable."""
    from monitoring.selectors import evaluations_by_status

    try:
        counts = evaluations_by_status()
    except DatabaseError:
        logger.exception("metrics: cannot count evaluations")
        return None
    gauge = GaugeMetricFamily(
        "interviews_evaluations", "Evaluations in each status.", labels=["status"]
    )
    for status, n in counts.items():
        gauge.add_metric([status], n)
    return gauge


def queue_depth_family() -> Metric | None:
    """celery_queue_depth{queue}: messages waiting in each queue; None if unreadable."""
    app = celery_app()
    try:
        with broker_connection(app) as conn:
            depths = queue_depths(app, conn)
    except (BrokerUnreachable, OSError) as exc:
        logger.warning("metrics: cannot read queue depths: %s", exc)
        return None
    gauge = GaugeMetricFamily(
        "celery_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"]
    )
    for queue, depth in depths.items():
        gauge.add_metric([queue], depth)
    return gauge


def dead_letters_family() -> Metric | None:
    """resilience_dead_letters_pending{task}: failed-for-good tasks waiting; None if unreadable."""
    from resilience.dlq.selectors import dead_letter_stats

    try:
        stats = dead_letter_stats()
    except DatabaseError:
        logger.exception("metrics: cannot read the dead-letter queue")
        return None
    gauge = GaugeMetricFamily(
        "resilience_dead_letters_pending",
        "Dead letters waiting for a person (retry or discard), by task.",
        labels=["task"],
    )
    for task, pending in stats.pending_by_task.items():
        gauge.add_metric([task], pending)
    return gauge


def breaker_state_family() -> Metric | None:
    """resilience_breaker_state{breaker}: every configured breaker's state now, read from its
    store (the same rows as /health/circuit-breakers/); None if the breakers are unreadable."""
    from monitoring.operations import breaker_rows

    try:
        rows = breaker_rows()
    except DatabaseError:
        logger.exception("metrics: cannot list the circuit breakers")
        return None
    gauge = GaugeMetricFamily(
        "resilience_breaker_state",
        "Circuit breaker state now, from the shared store: 0 closed, 1 open, 2 half-open.",
        labels=["breaker"],
    )
    values = {state.slug: int(state) for state in State}
    for row in rows:
        if row.state in values:  # "unknown" (store unreadable) has no value; the check says so
            gauge.add_metric([row.name], values[row.state])
    return gauge


class ScrapeTimeCollector:
    """Series read from their source at each scrape, and whether each source could be read."""

    sources = {
        "evaluations": evaluations_family,
        "queue_depth": queue_depth_family,
        "dead_letters": dead_letters_family,
        "breakers": breaker_state_family,
    }

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "monitoring_collector_up",
            "1 if the scrape-time collector could read its source, 0 if not.",
            labels=["collector"],
        )
        for name, read in self.sources.items():
            family = read()
            if family is not None:
                yield family
            up.add_metric([name], 0 if family is None else 1)
        yield up


def counts_in_files() -> bool:
    """Whether this process's series live in the multiprocess directory. prometheus_client
    decides it once, when first imported, from PROMETHEUS_MULTIPROC_DIR then; the variable now
    may differ (set later in a process that imported it early), and a reader that followed the
    variable would read files this process never writes, and miss its own counts."""
    return values.ValueClass is not values.MutexValue


def counted_registry() -> CollectorRegistry:
    """Every process's series, as this process counts them: the files in multiprocess mode,
    else its own default registry."""
    if not counts_in_files():
        return REGISTRY
    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry)
    return registry


class _ProcessRegistry:
    """Adapts the default registry (single-process mode) to a collector."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class _Scrape:
    """The processes' series and the scrape-time ones. A family read at scrape time wins over
    one of the same name in the processes' files: those may come from a process that ran older
    code (resilience_breaker_state was once set by each process), and would repeat it, stale."""

    def __init__(self, processes: Any) -> None:
        self.processes = processes

    def collect(self) -> Iterator[Metric]:
        fresh = list(ScrapeTimeCollector().collect())
        names = {family.name for family in fresh}
        yield from (f for f in self.processes.collect() if f.name not in names)
        yield from fresh


def scrape_registry() -> CollectorRegistry:
    """A registry for one scrape: every process's series plus the scrape-time collectors."""
    registry = CollectorRegistry(auto_describe=False)
    processes: Any = MultiProcessCollector(None) if counts_in_files() else _ProcessRegistry()
    registry.register(_Scrape(processes))
    return registry
