"""What sockets cost the server, bench/ws_load.py's `idle` (many sockets that only ping: RSS
per socket) and `cycles` (connect/hello/disconnect: Redis connections and RSS must stay flat).
"""

import functools
import time
from typing import Any

import _ws_load_clients as load_clients
from _ws_report import Report, client_health, dist, errors_block, server_block
from _ws_run import Run
from _ws_shards import Shards, merge

Result = dict[str, Any]


def mode_idle(run: Run, report: Report) -> None:
    a = run.args
    urls = run.urls
    base = run.sampler.snap("before")
    shards = Shards()
    parts = run.split(urls)
    hard = time.monotonic() + a.hold + len(urls) * 0.05 + 4 * a.timeout + 120
    targets = [
        functools.partial(
            load_clients.run_idle,
            part,
            run.timing,
            max(1, a.open_concurrency // len(parts)),
            shards.opened_callback(i),
            shards.release.wait,
            hard,
            a.seed + i,
        )
        for i, part in enumerate(parts)
    ]
    state: Result = {"opened": {}, "started": time.monotonic()}

    def on_message(kind: str, index: int, count: Any) -> None:
        state["opened"][index] = count
        if len(state["opened"]) == len(parts):
            state["open"] = run.sampler.snap("all open")
            state["open_at"] = time.monotonic()
            state["hold_until"] = time.monotonic() + a.hold

    def tick() -> None:
        run.sampler.tick()
        if (
            "hold_until" in state
            and time.monotonic() >= state["hold_until"]
            and "held" not in state
        ):
            state["held"] = run.sampler.snap("held")
            shards.release.set()

    try:
        shards.start(targets)
        results = shards.collect(hard + 30, tick, on_message)
    finally:
        shards.stop()
    time.sleep(3)
    closed = run.sampler.snap("closed")
    time.sleep(27)
    later = run.sampler.snap("closed 30 s")
    merged = merge(results)
    opened = sum(state["opened"].values())
    all_open = state.get("open") or closed
    held = state.get("held") or all_open
    rss0, rss_open, rss_held = base["rss_kib"][0], all_open["rss_kib"][0], held["rss_kib"][0]
    sockets = held["sockets"][0]
    per_open = (rss_open - rss0) / max(1, opened)
    per_held = (rss_held - rss0) / max(1, sockets)
    deflate = "permessage-deflate negotiated" if not a.no_deflate else "no compression"
    report.section(
        f"Idle sockets: {len(urls)} on one uvicorn process ({deflate}), held {a.hold:.0f} s"
    )
    report.add(
        f"  opened {opened} of {len(urls)} in {max(e['open_s'] for e in merged['extra']):.1f} s"
        f" ({a.open_concurrency} handshakes at a time); server counts {sockets} established"
    )
    report.add(dist("connect: TCP + WebSocket handshake", merged["handshake_ms"]))
    report.add(dist("connect → welcome", merged["welcome_ms"]))
    hold_from = state.get("open_at", float("inf"))
    report.add(
        dist(
            "ping → pong while sockets were opening",
            [ms for t, ms in merged["pong_ms"] if t < hold_from],
        )
    )
    report.add(
        dist("ping → pong during the hold", [ms for t, ms in merged["pong_ms"] if t >= hold_from])
    )
    errors_block(report, merged)
    report.add(
        f"  uvicorn RSS: {rss0 / 1024:.1f} MiB before, {rss_open / 1024:.1f} MiB all open,"
        f" {rss_held / 1024:.1f} MiB after the hold, {closed['rss_kib'][0] / 1024:.1f} MiB 3 s"
        f" after closing them all at once, {later['rss_kib'][0] / 1024:.1f} MiB 30 s after"
    )
    report.add(
        f"  uvicorn's Redis connections: {base['server_redis']} before,"
        f" {all_open['server_redis']} all open, {held['server_redis']} after the hold,"
        f" {closed['server_redis']} 3 s after closing, {later['server_redis']} 30 s after"
    )
    report.add(
        f"  RSS per socket: {per_open:.1f} KiB when all open, {per_held:.1f} KiB after the"
        f" hold (goal <= 100 KiB)"
    )
    client_health(report, merged, len(targets))
    server_block(report, run, None)
    report.figures.update(
        idle={"sockets": sockets, "kib_per_socket": per_held, "open_kib": per_open}
    )
    report.add("")
    verdict = "met" if per_held <= 100 and sockets >= len(urls) else "NOT met"
    report.add(f"Goal: {len(urls)} idle sockets at <= 100 KiB each: {verdict} ({per_held:.1f} KiB)")


def mode_cycles(run: Run, report: Report) -> None:
    a = run.args
    urls = run.urls
    points: list[tuple[int, Result]] = []

    def sample(n: int) -> None:
        points.append((n, run.sampler.snap(f"cycle {n}")))

    started = time.monotonic()
    result = load_clients.run_cycles(urls, a.cycles, 100, run.timing, sample, a.concurrency)
    took = time.monotonic() - started
    at_once = "one at a time" if a.concurrency == 1 else f"{a.concurrency} at a time"
    time.sleep(2)
    settled = run.sampler.snap("2 s after")
    points.append((-1, settled))
    report.section(
        f"Connect/hello/disconnect cycles: {a.cycles}, {at_once}, over {len(urls)}"
        f" interviews, {took:.1f} s"
    )
    report.add(dist("one cycle: connect, hello → welcome", result["welcome_ms"]))
    errors_block(report, result)
    report.add(
        f"  {'cycles':>8} {'redis clients':>14} {'uvicorn→redis':>14} {'uvicorn RSS KiB':>16}"
        f" {'pg conns':>9} {'load1':>6}"
    )
    for n, s in points:
        label = str(n) if n >= 0 else "+2 s"
        report.add(
            f"  {label:>8} {s['redis_clients']:>14} {s['server_redis']:>14}"
            f" {sum(s['rss_kib']):>16} {s['pg_bench']:>9} {s['load1']:>6}"
        )
    first, last = points[0][1], settled
    # The first 100 cycles fill the pools (PostgreSQL, Redis: as many as ran at once) and the
    # caches; flat means nothing grows after that.
    warm = next((s for n, s in points if n >= 100), first)
    mid = next((s for n, s in points if n >= a.cycles // 2), first)

    def change(key: str, since: Result) -> int:
        value = last[key] - since[key] if key != "rss_kib" else sum(last[key]) - sum(since[key])
        return int(value)

    report.add(
        f"  change from cycle 0: Redis connected_clients {change('redis_clients', first):+d}"
        f" (whole server, other users included), uvicorn's Redis connections"
        f" {change('server_redis', first):+d}, RSS {change('rss_kib', first):+d} KiB"
    )
    report.add(
        f"  change from cycle 100: Redis connected_clients {change('redis_clients', warm):+d},"
        f" uvicorn's Redis connections {change('server_redis', warm):+d},"
        f" RSS {change('rss_kib', warm):+d} KiB ({change('rss_kib', mid):+d} KiB over the"
        " second half)"
    )
    server_block(report, run, None)
    flat = (
        abs(change("server_redis", warm)) <= 2
        and abs(change("redis_clients", warm)) <= 10
        and change("rss_kib", mid) <= 2048
    )
    report.figures.update(cycles={"points": points})
    report.add("")
    verdict = "met" if flat else "NOT met"
    report.add(f"Goal: flat Redis connections and RSS over {a.cycles} cycles: {verdict}")
