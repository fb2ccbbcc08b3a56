"""Prometheus metrics of the LLM gateway (exposed by the monitoring app's /metrics)."""

from prometheus_client import Counter, Histogram

CALLS = Counter(
    "llm_calls_total",
    "Requests to an LLM provider by how they ended (ok, malformed, rate_limited, http_error, "
    "timeout, connection_error), and requests not sent (rejected: breaker open; out_of_budget: "
    "the step's deadline had passed).",
    ["provider", "outcome"],
)
CALL_SECONDS = Histogram(
    "llm_call_seconds",
    "Duration of one HTTP request to an LLM provider, whatever its outcome.",
    ["provider"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60),
)
RETRIES = Counter(
    "llm_retries_total",
    "Attempts at an LLM provider repeated after a retryable failure.",
    ["provider"],
)
RECONNECTIONS = Counter(
    "llm_reconnections_total",
    "Upstream connections lost or refused; the pool opens a new one on the next attempt.",
    ["provider"],
)
FALLBACKS = Counter(
    "llm_fallbacks_total",
    "Steps no provider answered: served from the question cache (cache) or by a contextual "
    "fallback (question_generation, intent_classification, analysis, default).",
    ["kind"],
)
