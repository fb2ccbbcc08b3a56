"""Prometheus metrics of knowledge-base search (exposed by the monitoring app's /metrics and
summed into /health/circuit-breakers/ "metrics")."""

from prometheus_client import Counter, Histogram

SEARCHES = Counter(
    "rag_searches_total",
    "Knowledge-base searches by mode (lexical, hybrid) and outcome (ok, failed).",
    ["mode", "outcome"],
)
SEARCH_SECONDS = Histogram(
    "rag_search_seconds",
    "Time of one knowledge-base search, the query's embedding included.",
    ["mode"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
INIT_SECONDS = Histogram(
    "rag_init_seconds",
    "Time to parse, split and index one document (its embeddings included).",
    buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
