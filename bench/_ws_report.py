"""What bench/ws_load.py prints: the report (`Report`: its lines and the figures for --json),
latency distributions, and the blocks every mode shares (client health, errors, server side).
"""

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

from _ws_run import Run

Result = dict[str, Any]


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def dist(name: str, values: list[float], unit: str = "ms") -> str:
    if not values:
        return f"  {name:<44} (no samples)"
    parts = "  ".join(
        f"{label} {pct(values, q):8.1f}"
        for label, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    )
    return f"  {name:<44} {parts}  max {max(values):8.1f} {unit}  (n={len(values)})"


@dataclass
class Report:
    title: str
    lines: list[str] = field(default_factory=list)
    figures: Result = field(default_factory=dict)

    def add(self, line: str = "") -> None:
        self.lines.append(line)

    def section(self, name: str) -> None:
        self.lines.extend(["", name])

    def text(self) -> str:
        return "\n".join([self.title, *self.lines])


def client_health(report: Report, merged: Result, procs: int) -> None:
    lag = merged.get("loop_lag_ms", [])
    cpu = merged.get("cpu_s", 0.0) / max(merged.get("wall_s", 1.0), 1e-9)
    report.section(f"Bench client ({procs} process(es), one event loop each)")
    report.add(f"  client CPU {cpu:.2f} cores over the run ({cpu / procs:.0%} of a core per loop)")
    report.add(dist("client event-loop lag (50 ms timer)", lag))
    if lag and (pct(lag, 0.99) > 20 or cpu / procs > 0.8):
        report.add(
            "  WARNING: the client loop is saturated; its lag inflates the latencies above"
            " (try --client-procs 2)"
        )
    report.figures["client"] = {"cpu_cores": cpu, "lag_p99_ms": pct(lag, 0.99) if lag else None}


def errors_block(report: Report, merged: Result) -> None:
    errors = merged.get("errors", {})
    report.add(f"  errors: {sum(errors.values())} " + (json.dumps(errors) if errors else ""))
    for sample in merged.get("samples", [])[:5]:
        report.add(f"    e.g. {sample}")
    report.figures["errors"] = errors


def server_block(report: Report, run: Run, cpu: dict[str, float] | None) -> None:
    series = run.sampler.series
    report.section("Server side (sampled every second)")
    if series:
        pg_bench = max(s["pg_bench"] for s in series)
        pg_total = max(s["pg_total"] for s in series)
        clients_min = min(s["redis_clients"] for s in series)
        clients_max = max(s["redis_clients"] for s in series)
        own = max(s["server_redis"] for s in series)
        report.add(
            f"  PostgreSQL connections to the bench database: max {pg_bench}; client connections"
            f" to the server (all databases): max {pg_total} of max_connections"
            f" {run.probe.max_connections()}"
        )
        report.add(
            f"  Redis connected_clients (whole server): min {clients_min}, max {clients_max};"
            f" uvicorn's own Redis connections: max {own}"
        )
        peak = max(series, key=lambda s: sum(s["sockets"]))
        report.add(f"  uvicorn worker RSS at peak sockets {peak['sockets']}: {peak['rss_kib']} KiB")
    if cpu:
        report.add(f"  CPU used, in cores ({os.cpu_count()} on the machine):")
        for name, cores in cpu.items():
            report.add(f"    {name:<44} {cores:5.2f}")
        report.figures["cpu_cores"] = cpu
    problems = [line for proc in run.stack.procs for line in proc.problems()]
    report.add(f"  ERROR lines in server logs: {len(problems)}")
    for line in list(dict.fromkeys(problems))[:6]:
        report.add(f"    {line[:240]}")
    report.figures["server_log_errors"] = len(problems)
    report.figures["series"] = series
