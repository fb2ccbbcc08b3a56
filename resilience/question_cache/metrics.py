"""Prometheus series of the question cache (exposed by the monitoring app's /metrics)."""

from prometheus_client import Counter

LOOKUPS = Counter(
    "resilience_question_cache_lookups_total",
    "Question cache lookups by result: hit, miss, error (the backend failed; served as a miss).",
    ["result"],
)
STORES = Counter(
    "resilience_question_cache_stores_total",
    "Questions offered to the cache by result: stored, duplicate, error.",
    ["result"],
)
