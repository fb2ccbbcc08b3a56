"""The bench/ws_load.py modes under interview load: `steady` (candidates taking interviews
back to back) and `llm-faults` (the same while the fake LLM is healthy, faulty, then healthy
again), and the evaluations they leave for Celery.
"""

import asyncio
import functools
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import _ws_load_clients as load_clients
import httpx
from _ws_report import Report, client_health, dist, errors_block, pct, server_block
from _ws_run import CALIBRATION, Run, evaluation_counts
from _ws_shards import Shards, merge

from harness import ws_clients as clients
from harness.procfs import load1


def calibrate(run: Run, urls: list[str]) -> list[float]:
    """One candidate alone, answering at once: the server's answer → next turn time unloaded."""
    tally = clients.Tally()
    timing = clients.Timing(0.0, 0.0, run.args.timeout, thin_share=0.25)

    async def go() -> None:
        for url in urls:
            cand = clients.Candidate(url, timing, tally, random.Random(7))
            await cand.open()
            await cand.converse(time.monotonic() + 120)
            await cand.close()

    asyncio.run(go())
    return [ms for _, ms, _ in tally.latencies]


@dataclass
class Phase:
    """One steady load on one consumer: what the clients measured and the CPU it cost."""

    merged: dict[str, Any]
    usage: dict[str, float]  # cores, by component (CpuMeter)
    cpu_wall: float  # seconds the CPU was metered over
    window: float  # seconds of load (ramp + duration)
    alone: list[float]  # answer → next turn, one candidate alone, before the load
    shards: int

    @property
    def latencies(self) -> list[float]:
        return [ms for _, ms, _ in self.merged["latencies"]]

    def cpu_ms_per_answer(self, part: str) -> float | None:
        acked = self.merged["answers_acked"]
        return self.usage[part] * self.cpu_wall / acked * 1000 if acked else None


def steady_phase(run: Run, urls: list[str]) -> Phase:
    """`--clients` candidates taking the interviews of `urls` back to back (the last
    CALIBRATION of them answered first by one candidate alone)."""
    a = run.args
    per = (len(urls) - CALIBRATION) // a.clients
    alone = calibrate(run, urls[-CALIBRATION:])
    plan = [urls[i * per : (i + 1) * per] for i in range(a.clients)]
    cpu = run.cpu_meter()
    shards = Shards()
    targets = [
        functools.partial(
            load_clients.run_steady, part, a.ramp, a.duration, run.timing, a.seed + 10**6 * i
        )
        for i, part in enumerate(run.split(plan))
    ]
    try:
        shards.start(targets)
        results = shards.collect(
            time.monotonic() + a.ramp + a.duration + 4 * a.timeout + 60, run.sampler.tick
        )
    finally:
        shards.stop()
    merged = merge(results)
    usage = cpu.stop(run.probe.pg_backend_pids(), merged["cpu_s"])
    return Phase(merged, usage, cpu.wall, a.ramp + a.duration, alone, len(targets))


CPU_PARTS = {
    "uvicorn": "uvicorn",
    "  of which uvicorn event loops": "event loops",
    "  of which uvicorn other threads (sync/DB)": "sync/DB threads",
    "postgres": "postgres",
    "redis": "redis",
}


def mode_steady(run: Run, report: Report) -> None:
    a = run.args
    before = run.sampler.snap("before")
    phase = steady_phase(run, run.urls)
    run.sampler.snap("after")
    merged, usage, window, lat = phase.merged, phase.usage, phase.window, phase.latencies
    report.section(
        f"Steady load: {a.clients} candidates for {a.ramp:.0f} s ramp + {a.duration:.0f} s"
    )
    report.add(dist("connect: TCP + WebSocket handshake", merged["handshake_ms"]))
    report.add(dist("connect → welcome (hello answered)", merged["welcome_ms"]))
    report.add(dist("answer → next question/follow-up/completed", lat))
    report.add(dist("  the same, one candidate alone before the run", phase.alone))
    errors_block(report, merged)
    report.add(
        f"  throughput: {merged['answers_acked'] / window:.1f} answers/s acked"
        f" ({merged['answers_sent']} sent, {merged['answers_acked']} acked),"
        f" {merged['interviews_completed'] / window:.2f} interviews/s completed"
        f" ({merged['interviews_completed']}),"
        f" {merged['frames_in'] / window:.0f} frames/s to clients"
    )
    if merged.get("out_of_interviews"):
        report.add(f"  {merged['out_of_interviews']} candidates ran out of interviews early")
    series = run.sampler.series
    peak = max(series, key=lambda s: sum(s["sockets"]))
    grown = sum(peak["rss_kib"]) - sum(before["rss_kib"])
    report.add(
        f"  server RSS: {sum(before['rss_kib']) / 1024:.1f} MiB before, "
        f"{sum(peak['rss_kib']) / 1024:.1f} MiB at {sum(peak['sockets'])} open sockets"
        f" ({peak['sockets']} per worker) → {grown / max(1, sum(peak['sockets'])):.1f} KiB per"
        " connection (includes per-interview caches; see --mode idle)"
    )
    answers_s = merged["answers_acked"] / window
    offered = a.clients / ((a.think_min + a.think_max) / 2)
    report.add(
        f"  offered load ≈ {offered:.0f} answers/s ({a.clients} candidates / mean think"
        f" {(a.think_min + a.think_max) / 2:.1f} s); served {answers_s:.1f} answers/s"
    )
    if merged["answers_acked"]:
        per = ", ".join(
            f"{short} {phase.cpu_ms_per_answer(k) or 0:.2f}" for k, short in CPU_PARTS.items()
        )
        report.add(f"  server CPU per answer served (ms): {per}")
    evaluations(run, report)
    client_health(report, merged, phase.shards)
    server_block(report, run, usage)
    p99 = pct(lat, 0.99) if lat else None
    report.figures.update(
        latency_ms={"p50": pct(lat, 0.5), "p95": pct(lat, 0.95), "p99": p99} if lat else {},
        connect_ms=pct(merged["welcome_ms"], 0.99) if merged["welcome_ms"] else None,
        answers_per_s=merged["answers_acked"] / window,
    )
    goal = "met" if p99 is not None and p99 <= 100 and not merged["errors"] else "NOT met"
    report.add("")
    report.add(f"Goal: answer → next question p99 <= 100 ms with 0 errors at {a.clients}: {goal}")
    if run.baseline_urls:
        compare_baseline(run, report, phase, steady_phase(run, run.baseline_urls))


def compare_baseline(run: Run, report: Report, project: Phase, lean: Phase) -> None:
    """The project's figures beside the lean consumer's, measured after it on the same uvicorn
    process with the same load; the ratios are what compare across runs."""
    a = run.args
    report.section(
        f"Side by side: the same {a.clients} candidates on the lean consumer (_ws_baseline.py),"
        " same uvicorn process, right after"
    )
    report.add(f"  {'':<44} {'project':>10} {'baseline':>10} {'ratio':>7}")

    def row(name: str, mine: float | None, base: float | None, unit: str) -> None:
        if mine is None or base is None:
            report.add(f"  {name:<44} {'-':>10} {'-':>10}")
            return
        ratio = f"{mine / base:6.1f}x" if base else "      -"
        report.add(f"  {name:<44} {mine:8.2f}{unit} {base:8.2f}{unit} {ratio}")

    figures: dict[str, Any] = {}
    for part, short in CPU_PARTS.items():
        mine, base = project.cpu_ms_per_answer(part), lean.cpu_ms_per_answer(part)
        row(f"CPU per answer, {short}", mine, base, "ms")
        figures[f"cpu_ms_{short}"] = [mine, base]
    for name, share in (("p50", 0.5), ("p99", 0.99)):
        mine_lat, base_lat = project.latencies, lean.latencies
        mine = pct(mine_lat, share) if mine_lat else None
        base = pct(base_lat, share) if base_lat else None
        row(f"answer → next turn {name}", mine, base, "ms")
        figures[f"latency_{name}_ms"] = [mine, base]
    for name, share in (("p50", 0.5), ("p99", 0.99)):
        mine = pct(project.alone, share) if project.alone else None
        base = pct(lean.alone, share) if lean.alone else None
        row(f"  one candidate alone, {name}", mine, base, "ms")
    row(
        "answers acked per second",
        project.merged["answers_acked"] / project.window,
        lean.merged["answers_acked"] / lean.window,
        "/s",
    )
    errors = [sum(p.merged["errors"].values()) for p in (project, lean)]
    report.add(f"  {'errors':<44} {errors[0]:>10} {errors[1]:>10}")
    for sample in lean.merged.get("samples", [])[:3]:
        report.add(f"    baseline e.g. {sample}")
    report.add(f"  load average at the end of the baseline: {load1():.2f}")
    report.figures["baseline"] = figures


def evaluations(run: Run, report: Report) -> None:
    if run.celery is None:
        depth = run.probe.queue_depth()
        report.add(f"  evaluations: no Celery worker; {depth} queued, {evaluation_counts()}")
        return
    depth0 = run.probe.queue_depth()
    counts0 = evaluation_counts()
    deadline = time.monotonic() + 60
    while run.probe.queue_depth() and time.monotonic() < deadline:
        time.sleep(1)
    drained = 60 - max(0.0, deadline - time.monotonic())
    report.add(
        f"  evaluations (1 Celery worker, concurrency 1): at the end {depth0} queued, {counts0};"
        f" queue {'empty' if not run.probe.queue_depth() else 'NOT empty'} {drained:.0f} s later,"
        f" {evaluation_counts()}"
    )


def mode_llm_faults(run: Run, report: Report) -> None:
    """Steady load while the LLM is healthy, then faulty, then healthy again."""
    a = run.args
    phase = a.duration / 3
    per = len(run.urls) // a.clients
    plan = [run.urls[i * per : (i + 1) * per] for i in range(a.clients)]
    control = f"http://127.0.0.1:{run.fake_port}/_control"
    httpx.post(control, json={"mode": "ok", "reset_counts": True}, timeout=5).raise_for_status()
    run.sampler.snap("before")
    cpu = run.cpu_meter()
    t0 = time.monotonic()
    bounds = [t0 + a.ramp + phase, t0 + a.ramp + 2 * phase]
    switches: list[tuple[float, dict[str, Any]]] = [
        (bounds[0], {"mode": a.llm_fault}),
        (bounds[1], {"mode": "ok"}),
    ]
    counts: list[dict[str, Any]] = []

    def tick() -> None:
        run.sampler.tick()
        while switches and time.monotonic() >= switches[0][0]:
            _, body = switches.pop(0)
            counts.append(httpx.get(control, timeout=5).json())
            httpx.post(control, json=body, timeout=5).raise_for_status()

    shards = Shards()
    targets = [
        functools.partial(load_clients.run_steady, part, a.ramp, a.duration, run.timing, a.seed + i)
        for i, part in enumerate(run.split(plan))
    ]
    try:
        shards.start(targets)
        results = shards.collect(
            time.monotonic() + a.ramp + a.duration + 4 * run.timing.timeout + 60, tick
        )
    finally:
        shards.stop()
    counts.append(httpx.get(control, timeout=5).json())
    merged = merge(results)
    usage = cpu.stop(run.probe.pg_backend_pids(), merged["cpu_s"])
    names = ["LLM healthy", f"LLM fault: {a.llm_fault}", "LLM healthy again"]

    def phase_of(t: float) -> int:
        return sum(t >= b for b in bounds)

    report.section(
        f"LLM faults: {a.clients} candidates, LLM_PROVIDERS=openai,offline (fake LLM at"
        f" {a.llm_latency_ms:.0f} ms), LLM_TIMEOUT_SECONDS={a.llm_timeout:g}; three phases of"
        f" {phase:.0f} s after a {a.ramp:.0f} s ramp"
    )
    for i, name in enumerate(names):
        lat = [ms for sent, ms, _ in merged["latencies"] if phase_of(sent) == i]
        sources = Counter(src for at, src in merged["turns"] if phase_of(at) == i)
        calls = counts[i]["requests"] - (counts[i - 1]["requests"] if i else 0)
        report.add(f"  {name}:")
        report.add(dist("answer → next question/follow-up/completed", lat))
        report.add(f"    turns by kind:source: {dict(sources)}; LLM requests received: {calls}")
    report.add(f"  fake LLM outcomes over the run: {counts[-1].get('by_outcome')}")
    errors_block(report, merged)
    window = a.ramp + a.duration
    report.add(f"  throughput: {merged['answers_acked'] / window:.1f} answers/s acked")
    evaluations(run, report)
    client_health(report, merged, len(targets))
    server_block(report, run, usage)
    report.figures.update(llm_faults={"counts": counts})
