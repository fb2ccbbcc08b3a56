"""Prometheus metrics of the resilience app (exposed by the monitoring app's /metrics)."""

from prometheus_client import Counter, Histogram

BREAKER_TRANSITIONS = Counter(
    "resilience_breaker_transitions_total",
    "Circuit breaker state changes seen by this process.",
    ["breaker", "from_state", "to_state"],
)
BREAKER_REJECTIONS = Counter(
    "resilience_breaker_rejections_total",
    "Calls rejected by an open (or forced-open) circuit breaker without running.",
    ["breaker"],
)
# resilience_breaker_state{breaker} is not tracked here: a value set by the process that saw a
# transition goes stale (a dead worker's, or one that missed another process's change), so the
# monitoring app reads it from the shared store at each scrape (monitoring/metrics.py).
BREAKER_HOLDS = Histogram(
    "resilience_breaker_retry_after_seconds",
    "Times a dependency's Retry-After (or overload) held a breaker open, and for how long.",
    ["breaker"],
    buckets=(1, 5, 10, 30, 60, 120, 300, 600),
)
BREAKER_STORE_UNAVAILABLE = Counter(
    "resilience_breaker_store_unavailable_total",
    "Times the shared breaker store became unreachable and breakers failed open to local state.",
    ["store"],
)
BREAKER_STORE_FALLBACK_CALLS = Counter(
    "resilience_breaker_store_fallback_calls_total",
    "Breaker operations served by the process-local fallback store while the shared one was down.",
    ["store"],
)
BREAKER_STORE_ERRORS = Counter(
    "resilience_breaker_store_errors_total",
    "Breaker store operations that raised; the call was let through (fail open).",
    ["breaker"],
)
BREAKER_ALERTS = Counter(
    "resilience_breaker_alerts_total",
    "Alerts sent because a critical breaker opened, by channel and result.",
    ["channel", "result"],
)
RETRY_ATTEMPTS = Counter(
    "resilience_retry_attempts_total",
    "Retries scheduled by resilience.retry, by the exception that caused them.",
    ["error"],
)
