"""bench/ws_load.py's reconnect storm (`--mode storm`): every socket dropped at once, every
candidate resuming, and the database checked for lost or duplicated answers.
"""

import functools
import itertools
import time
from collections import Counter
from typing import Any

import _ws_load_clients as load_clients
from _ws_report import Report, client_health, dist, errors_block, pct, server_block
from _ws_run import Run
from _ws_shards import Shards, merge

Result = dict[str, Any]


def room_of(url: str) -> str:
    return url.split("/ws/interviews/", 1)[1].split("/", 1)[0]


def verify_answers(records: list[Result]) -> Result:
    """Each interview's answers in the database against what its client sent and saw acked."""
    from django.db import connections

    from interviews.models import Turn, TurnKind

    by_room = {room_of(r["url"]): r for r in records}
    turns: dict[str, list[tuple[int, str, str]]] = {room: [] for room in by_room}
    rows = (
        Turn.objects.filter(interview__room_id__in=list(by_room))
        .order_by("interview_id", "seq")
        .values_list("interview__room_id", "seq", "kind", "client_msg_id")
    )
    for room, seq, kind, msg_id in rows:
        turns[room].append((seq, kind, str(msg_id) if msg_id else ""))
    connections.close_all()
    total: Counter[str] = Counter()
    for room, record in by_room.items():
        events = turns[room]
        sent, acked = set(record.get("sent", ())), set(record.get("acked", ()))
        stored = [m for _, kind, m in events if kind == TurnKind.ANSWER]
        stored_set = set(stored)
        kinds = [kind for _, kind, _ in events]
        total["interviews"] += 1
        total["answers sent (distinct client_msg_id)"] += len(sent)
        total["answers acked"] += len(acked)
        total["answers stored"] += len(stored)
        total["lost (acked, not stored)"] += len(acked - stored_set)
        total["lost (sent, never acked nor stored)"] += len(sent - acked - stored_set)
        total["stored, ack never seen"] += len((sent - acked) & stored_set)
        total["duplicated (same client_msg_id twice)"] += len(stored) - len(stored_set)
        total["duplicated (two answers to one question)"] += sum(
            1 for a, b in itertools.pairwise(kinds) if a == b == TurnKind.ANSWER
        )
        total["stored but never sent"] += len(stored_set - sent)
        total["interviews with a seq gap"] += [s for s, _, _ in events] != list(
            range(1, len(events) + 1)
        )
        total["client last_seq != stored last seq"] += (
            bool(events) and record.get("last_seq") != events[-1][0]
        )
    return dict(total)


def mode_storm(run: Run, report: Report) -> None:
    a = run.args
    storm_after = a.storm_at if a.storm_at is not None else a.duration / 2
    run.sampler.snap("before")
    cpu = run.cpu_meter()
    t0 = time.monotonic()
    storm_at, until = t0 + a.ramp + storm_after, t0 + a.ramp + a.duration
    shards = Shards()
    urls = run.urls
    targets = [
        functools.partial(
            load_clients.run_storm, part, a.ramp, storm_at, until, run.timing, a.seed + i
        )
        for i, part in enumerate(run.split(urls))
    ]
    try:
        shards.start(targets)
        results = shards.collect(until + 6 * a.timeout + 60, run.sampler.tick)
    finally:
        shards.stop()
    merged = merge(results)
    usage = cpu.stop(run.probe.pg_backend_pids(), merged["cpu_s"])
    run.sampler.snap("after")
    records = [r for extra in merged["extra"] for r in extra["records"]]
    fired = min(extra["fired_at"] for extra in merged["extra"])
    resumed = [r["resumed_at"] - fired for r in records if "resumed_at" in r]
    all_back = max(resumed) if resumed else float("nan")
    lat = merged["latencies"]
    before = [ms for _, ms, phase in lat if phase == "before"]
    after = [ms for _, ms, phase in lat if phase == "after"]
    settled = [ms for sent, ms, phase in lat if phase == "after" and sent >= fired + all_back]
    faults = dict(merged["faults"])
    checked = verify_answers(records)
    report.section(
        f"Reconnect storm: {a.clients} candidates, all sockets dropped at once"
        f" {a.ramp + storm_after:.0f} s in, run {a.ramp + a.duration:.0f} s"
    )
    drops = [r["dropped_at"] - fired for r in records if r.get("dropped_at")]
    report.add(
        f"  faults injected: {len(drops)} sockets aborted (no close handshake), all within"
        f" {max(drops, default=0) * 1000:.0f} ms of the signal; one fault per candidate:"
    )
    for fault, count in sorted(faults.items()):
        report.add(f"    {fault:<52} {count}")
    report.add(
        f"  resumed (welcome received): {len(resumed)} of {len(records)};"
        f" all resumed {all_back * 1000:.0f} ms after the drop"
    )
    report.add(dist("time from the drop to welcome, per candidate", [x * 1000 for x in resumed]))
    report.add(dist("answer → next question, before the drop", before))
    report.add(dist("answer → next question, after resuming", after))
    report.add(dist("  … sent after every candidate had resumed", settled))
    report.add("  answer → next question by when the answer was sent (seconds after the drop):")
    width = 5.0
    for start in range(0, int(a.duration - storm_after) + 1, int(width)):
        window = [
            ms for sent, ms, _ in lat if start <= sent - fired < start + width and sent > fired
        ]
        if window:
            report.add(
                f"    {start:>3}-{start + width:<3.0f} s  p50 {pct(window, 0.5):8.1f}  p99"
                f" {pct(window, 0.99):8.1f} ms  (n={len(window)})"
            )
    report.add(
        f"  re-sent unacknowledged answers: {merged['resent']} (same client_msg_id);"
        f" acknowledged again as already stored: {merged['repeated_acks']};"
        f" acked before the drop, so not re-sent: {merged['resent_already_stored']}"
    )
    errors_block(report, merged)
    report.section(
        "Database check (every interview's answers vs what its client sent and saw acked)"
    )
    for key, value in checked.items():
        report.add(f"  {key:<48} {value}")
    lost = checked.get("lost (acked, not stored)", 0) + checked.get(
        "lost (sent, never acked nor stored)", 0
    )
    dup = checked.get("duplicated (same client_msg_id twice)", 0) + checked.get(
        "duplicated (two answers to one question)", 0
    )
    client_health(report, merged, len(targets))
    server_block(report, run, usage)
    report.figures.update(
        storm={
            "clients": a.clients,
            "resumed": len(resumed),
            "all_resumed_ms": all_back * 1000,
            "faults": faults,
            "check": checked,
            "before_p99": pct(before, 0.99) if before else None,
            "after_p99": pct(after, 0.99) if after else None,
        }
    )
    report.add("")
    verdict = "OK" if lost == 0 and dup == 0 and len(resumed) == len(records) else "FAILED"
    back = f"{len(resumed)}/{len(records)}"
    report.add(f"Storm verdict: lost {lost}, duplicated {dup}, resumed {back}: {verdict}")
