"""Reads for operators: circuit breakers as they stand, stuck work, and headline counters.

Shared by the health checks (monitoring/ops_checks.py), /health/circuit-breakers/ and the
staff dashboard, so all three always tell the same story.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError
from prometheus_client import CollectorRegistry

from interviews.selectors import stuck_counts
from monitoring.metrics import counted_registry
from resilience.breakers.config import Mode
from resilience.breakers.selectors import breaker_snapshots
from resilience.breakers.state import State

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BreakerRow:
    name: str
    state: str  # what callers get now: closed, open, half_open; forced modes included
    mode: str
    enabled: bool
    critical: bool
    readable: bool  # False when the state store could not be read
    failure_rate: float
    slow_rate: float
    calls: int
    failures: int
    slow: int
    consecutive_failures: int
    trips: int
    retry_after: float  # seconds until the next trial while open
    active_trials: int
    opened_at: datetime | None
    last_transition_at: datetime | None
    last_transition_reason: str

    @property
    def is_open(self) -> bool:
        return self.state == State.OPEN.slug

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("opened_at", "last_transition_at"):
            data[key] = data[key].isoformat() if data[key] else None
        data["failure_rate"] = round(self.failure_rate, 1)
        data["slow_rate"] = round(self.slow_rate, 1)
        data["retry_after"] = round(self.retry_after, 1)
        return data


def _effective_state(mode: str, live: State | None) -> str:
    # A forced mode overrides whatever the store holds; that is what callers experience.
    if mode == Mode.FORCED_OPEN:
        return State.OPEN.slug
    if mode in (Mode.FORCED_CLOSED, Mode.METRICS_ONLY):
        return State.CLOSED.slug
    return live.slug if live is not None else "unknown"


def breaker_rows() -> list[BreakerRow]:
    rows = []
    for config, snap in breaker_snapshots():
        mirror = getattr(config, "state", None)
        rows.append(
            BreakerRow(
                name=config.name,
                state=_effective_state(config.mode, snap.state if snap else None),
                mode=config.mode,
                enabled=config.enabled,
                critical=config.critical,
                readable=snap is not None,
                failure_rate=snap.failure_rate if snap else 0.0,
                slow_rate=snap.slow_rate if snap else 0.0,
                calls=snap.calls if snap else 0,
                failures=snap.failures if snap else 0,
                slow=snap.slow if snap else 0,
                consecutive_failures=snap.consecutive_failures if snap else 0,
                trips=snap.trips if snap else 0,
                retry_after=snap.retry_after if snap else 0.0,
                active_trials=snap.active_trials if snap else 0,
                opened_at=snap.opened_at if snap else None,
                last_transition_at=mirror.changed_at if mirror else None,
                last_transition_reason=mirror.reason if mirror else "",
            )
        )
    return rows


def stuck_work() -> dict[str, int] | None:
    """Interviews and evaluations the stuck sweep would act on now; None if unreadable."""
    try:
        return stuck_counts()
    except DatabaseError:
        logger.exception("operations: cannot count stuck work")
        return None


# --- headline counters (/health/circuit-breakers/ "metrics") ---------------------------------
# Counter families (without the _total suffix) → the key they are reported under.
COUNTERS = {
    "interviews_ws_connects": "ws_connections",
    "interviews_ws_disconnects": "ws_disconnections",
    "interviews_ws_reconnects": "ws_reconnections",
    "interviews_ws_frames_received": "ws_frames_in",
    "interviews_ws_frames_sent": "ws_frames_out",
    "llm_calls": "provider_calls",
    "llm_retries": "provider_retries",
    "llm_reconnections": "provider_reconnections",
    "llm_fallbacks": "fallbacks",
    "resilience_breaker_rejections": "breaker_rejections",
    "rag_searches": "rag_searches",
}
# Labelled counter samples reported under a key of their own: (family, label, value) → key.
LABELLED = {
    ("resilience_question_cache_lookups", "result", "hit"): "cache_hits",
    ("resilience_question_cache_lookups", "result", "miss"): "cache_misses",
}
# Counter families whose samples, by one label, are errors.
ERRORS = {
    "interviews_ws_error_closes": "code",
    "llm_calls": "outcome",
}
LATENCIES = {"llm_call_seconds": "llm_call", "http_request_duration_seconds": "http_request"}
# Knowledge-base search, in the reference system's names and unit (seconds) (issue: "rag").
RAG_LATENCIES = {"rag_search_seconds": "rag_search", "rag_init_seconds": "rag_init"}


def _samples(registry: CollectorRegistry) -> Iterable[tuple[str, str, dict[str, str], float]]:
    for family in registry.collect():
        for sample in family.samples:
            yield family.name, sample.name, sample.labels, sample.value


def counters_snapshot() -> dict[str, Any]:
    """Totals over every process since the deployment started (the metrics files' lifetime)."""
    counters: dict[str, float] = dict.fromkeys([*COUNTERS.values(), *LABELLED.values()], 0)
    errors: dict[str, dict[str, float]] = {key: defaultdict(float) for key in ERRORS}
    sums: dict[str, float] = defaultdict(float)
    counts: dict[str, float] = defaultdict(float)
    rag_failed = 0.0
    for family, sample, labels, value in _samples(counted_registry()):
        if family in COUNTERS and sample.endswith("_total"):
            counters[COUNTERS[family]] += value
        for (name, label, wanted), key in LABELLED.items():
            if family == name and sample.endswith("_total") and labels.get(label) == wanted:
                counters[key] += value
        if family in ERRORS and sample.endswith("_total"):
            label = labels.get(ERRORS[family], "")
            if family != "llm_calls" or label != "ok":
                errors[family][label] += value
        if family == "rag_searches" and sample.endswith("_total"):
            rag_failed += value if labels.get("outcome") == "failed" else 0
        latency = LATENCIES.get(family) or RAG_LATENCIES.get(family)
        if latency and sample.endswith("_sum"):
            sums[latency] += value
        if latency and sample.endswith("_count"):
            counts[latency] += value
    return {
        "counters": {key: int(value) for key, value in counters.items()},
        "errors": {
            "ws_error_closes": {k: int(v) for k, v in errors["interviews_ws_error_closes"].items()},
            "provider_failures": {k: int(v) for k, v in errors["llm_calls"].items()},
            "rag_search_failed": int(rag_failed),
        },
        "avg_latencies": {
            **{
                f"{name}_ms": round(1000 * sums[name] / counts[name], 2) if counts[name] else None
                for name in LATENCIES.values()
            },
            **{
                name: round(sums[name] / counts[name], 4) if counts[name] else None
                for name in RAG_LATENCIES.values()
            },
        },
    }
