"""Prometheus metrics of the sandbox (exposed by the monitoring app's /metrics)."""

from prometheus_client import Counter, Histogram

from sandbox.types import RunResult

RUNS = Counter(
    "sandbox_runs_total",
    "Code runs by engine, outcome and the limit that stopped them ('' when none did).",
    ["engine", "status", "limit"],
)
RUN_SECONDS = Histogram(
    "sandbox_run_seconds",
    "Wall time of a run as its caller saw it (process start to verdict, or the HTTP round trip).",
    ["engine"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30),
)


def run_observe(result: RunResult) -> None:
    limit = result.limit.value if result.limit else ""
    RUNS.labels(engine=result.engine, status=result.status.value, limit=limit).inc()
    RUN_SECONDS.labels(engine=result.engine).observe(result.duration)
