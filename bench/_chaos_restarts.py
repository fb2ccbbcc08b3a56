"""The restart scenarios of bench/chaos.py: a Celery worker SIGKILLed mid-evaluation
(`worker-kill`), Redis killed and started again (`redis-restart`), PostgreSQL shut down and
started again (`postgres-restart`); and the reconnect storm (`storm`), every socket aborted at
once.
"""

import contextlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import redis

from harness.audit import conclude, sleep_until, start_candidates
from harness.report import Params, Record, load_lines, pct, recovered_after, wait_line, waits
from harness.world import Cluster, Result, World

T = TypeVar("T")


def scenario_worker_kill(cluster: Cluster, p: Params, workdir: Path, command: str) -> Record:
    record = Record("worker-kill", command)
    with World(cluster, "worker-kill", workdir, time_limit=p.task_time_limit) as world:
        # Questions from the offline interviewer (web processes), evaluations by the LLM
        # (workers only), which answers after 1.5 s: long enough to be killed mid-evaluation.
        world.start(worker_env={"LLM_PROVIDERS": "openai,offline"})
        world.fake(latency_ms=1500)
        record.load = load_lines(
            p, world, "; questions offline, evaluations by the LLM answering after 1.5 s"
        )
        deadline = p.ramp + p.question_count() * (p.think_max + 5) + 180
        run, thread = start_candidates(world, p, deadline)
        killed: list[tuple[float, str, list[int]]] = []

        def running() -> list[int]:
            return [
                r[0]
                for r in world.sql(
                    "SELECT interview_id FROM interviews_evaluation WHERE status = 'running'"
                )
            ]

        end = time.monotonic() + deadline
        while len(killed) < p.kills and time.monotonic() < end and thread.is_alive():
            busy = running()
            pending = world.sql("SELECT count(*) FROM interviews_evaluation WHERE status='pending'")
            if busy and pending[0][0] >= 1:
                index = len(killed) % len(world.topology.workers)
                victim = world.topology.workers[index]
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(victim.pid, signal.SIGKILL)
                victim.popen.wait(10)
                killed.append((time.monotonic(), victim.name, busy))
                record.faults.append(
                    f"SIGKILL to {victim.name}'s process group (main + pool) while evaluations"
                    f" of interviews {busy} were running and {pending[0][0]} were queued"
                )
                time.sleep(3)
                world.topology.restart_worker(index)  # what a supervisor does
                time.sleep(5)
            time.sleep(0.3)
        conclude(record, p, world, run, thread, deadline + 60, evaluations_within=240)
        record.expect(len(killed) == p.kills, f"only {len(killed)} of {p.kills} kills happened")
        for at, name, ids in killed:
            finished = world.sql(
                "SELECT max(extract(epoch from finished_at)) , count(*) FILTER (WHERE status ="
                " 'done') FROM interviews_evaluation WHERE interview_id = ANY(%s)",
                ids,
            )[0]
            now_epoch = time.time() - (time.monotonic() - at)
            took = float(finished[0]) - now_epoch if finished[0] else float("nan")
            record.recovery[f"kill of {name}: evaluations it was running done after"] = (
                f"{took:.1f} s ({finished[1]} of {len(ids)} done; redelivered after the"
                f" {p.task_time_limit + 15} s visibility timeout)"
            )
        fake = world.fake()
        record.figures.append(
            f"evaluate requests at the fake LLM: {fake['by_task'].get('evaluate', 0)} for"
            f" {record.checked.get('evaluations done', 0)} evaluations (killed runs redo theirs)"
        )
        done_rows = world.sql(
            "SELECT count(*), count(DISTINCT interview_id), count(*) FILTER (WHERE overall_score"
            " IS NULL) FROM interviews_evaluation WHERE status = 'done'"
        )[0]
        record.expect(done_rows[0] == done_rows[1], "an interview has two done evaluations")
        record.expect(done_rows[2] == 0, "a done evaluation has no score")
    return record


@dataclass
class Outage(Generic[T]):
    """A server restarted mid-interview: when it went down and came back, what the candidates
    reported, and what `while_down` returned."""

    down_at: float
    restore_at: float
    result: Result
    seen: T


def restart_mid_interview(
    record: Record,
    p: Params,
    world: World,
    server: str,
    stop: Callable[[], None],
    start: Callable[[], None],
    while_down: Callable[[], T],
) -> Outage[T]:
    """Stop `server` (`stop`) once the load is warm, start it again `p.outage` s later, let the
    candidates finish, and record what every restart is checked for: nothing lost (the audit and
    `common_checks`), every interviewing candidate progressing again, no web or worker process
    restarted, and the answer → next turn waits before, during and after. `while_down` runs
    right after the stop."""
    deadline = p.ramp + p.warm + p.outage + p.question_count() * (p.think_max + 5) + 120
    run, thread = start_candidates(world, p, deadline)
    fault_at = time.monotonic() + p.ramp + p.warm
    sleep_until(fault_at)
    pids = world.pids()
    stop()
    down_at = time.monotonic()
    seen = while_down()
    sleep_until(down_at + p.outage)
    start()
    restore_at = time.monotonic()
    result = conclude(record, p, world, run, thread, deadline + 60)
    back, n = recovered_after(result, restore_at)
    record.recovery[f"{server} back → every interviewing candidate progressing"] = (
        f"{back:.1f} s ({n} candidates)"
    )
    same = world.pids() == pids
    record.expect(same, "a web or worker process was restarted")
    record.recovery["web and worker processes restarted"] = "none (same pids)" if same else "SOME"
    record.figures.append(wait_line("answer → next turn before", waits(result, 0, fault_at)))
    record.figures.append(
        wait_line(
            f"answer → next turn, answers sent while {server} was down",
            waits(result, down_at, restore_at),
        )
    )
    record.figures.append(
        wait_line("answer → next turn after", waits(result, restore_at + 5, 1e18))
    )
    return Outage(down_at, restore_at, result, seen)


def scenario_redis_restart(cluster: Cluster, p: Params, workdir: Path, command: str) -> Record:
    record = Record("redis-restart", command)
    with World(cluster, "redis-restart", workdir, env={"LLM_PROVIDERS": "openai,offline"}) as world:
        world.configure_breakers(("llm.openai",))
        world.start()
        record.load = load_lines(p, world, "; LLM_PROVIDERS=openai,offline (breakers in use)")

        def probe() -> tuple[dict[int, dict[str, Result]], float]:
            # With the channel layer down no socket lives long enough to ask the LLM, so probe
            # the breaker store the way an operator does: /health/circuit-breakers/ on each web.
            time.sleep(min(1.0, p.outage / 3))
            started = time.monotonic()
            views = {port: world.breakers(port) for port in world.topology.web_ports}
            return views, time.monotonic() - started

        outage = restart_mid_interview(
            record, p, world, "Redis", world.redis.kill, world.redis.start, probe
        )
        during_views, probe_s = outage.seen
        record.faults.append(
            f"redis-server SIGKILLed {p.ramp + p.warm:g} s in (no persistence: every key, queue"
            f" and channel is gone) and started again {outage.restore_at - outage.down_at:.1f} s"
            " later"
        )
        port = world.topology.web_ports[0]
        unavailable = world.metric(port, "resilience_breaker_store_unavailable_total")
        fallback = world.metric(port, "resilience_breaker_store_fallback_calls_total")
        record.recovery["breaker store: outages noticed / calls served locally"] = (
            f"{unavailable:g} / {fallback:g}"
        )
        seen = {
            port: (v.get("llm.openai", {}).get("state"), v.get("llm.openai", {}).get("readable"))
            for port, v in during_views.items()
        }
        record.recovery["breaker state while Redis was down (state, readable) per web"] = (
            f"{seen}, both answered in {probe_s:.2f} s"
        )
        # The health view reports what it cannot read ("unknown", not readable) and must
        # answer at once; guarded calls meanwhile fail open to local state (the counters
        # above; with every socket riding on the same Redis, few calls happen while it is down).
        record.expect(
            all(readable is False for _, readable in seen.values()) and probe_s < 5,
            f"the breaker health view did not report the store outage promptly: {seen}",
        )
        keys = list(redis.Redis.from_url(world.redis.url(3)).scan_iter("*breaker*"))
        record.recovery["breaker store: shared state in Redis again"] = f"{len(keys)} keys"
        record.expect(bool(keys), "the breakers never wrote their state to Redis again")
        views = {port: world.breakers(port) for port in world.topology.web_ports}
        readable = all(v.get("llm.openai", {}).get("readable") for v in views.values())
        record.expect(readable, f"breaker state not readable after the restart: {views}")
        record.recovery["breaker state after Redis came back (state, readable) per web"] = str(
            {
                port: (
                    v.get("llm.openai", {}).get("state"),
                    v.get("llm.openai", {}).get("readable"),
                )
                for port, v in views.items()
            }
        )
        after = world.sql(
            "SELECT count(*) FROM interviews_evaluation WHERE status = 'done' AND finished_at >"
            " now() - make_interval(secs => %s)",
            time.monotonic() - outage.restore_at,
        )[0][0]
        record.recovery["evaluations done after Redis came back (Celery reconnected)"] = str(after)
        record.expect(after > 0, "no evaluation ran after Redis came back")
    return record


def scenario_postgres_restart(cluster: Cluster, p: Params, workdir: Path, command: str) -> Record:
    record = Record("postgres-restart", command)
    pg = cluster.pg
    assert pg is not None
    with World(cluster, "postgres-restart", workdir) as world:
        world.start()
        record.load = load_lines(p, world, "; LLM_PROVIDERS=offline")
        # pg.stop is a fast shutdown: every connection is cut; the data stays.
        outage = restart_mid_interview(
            record, p, world, "PostgreSQL", pg.stop, pg.start, lambda: None
        )
        record.faults.append(
            f"PostgreSQL fast shutdown {p.ramp + p.warm:g} s in, started again"
            f" {outage.restore_at - outage.down_at:.1f} s later (same data)"
        )
        retryable = {k: v for k, v in outage.result["faults"].items() if "retryable" in k}
        record.figures.append(f"retryable error frames seen by candidates: {retryable}")
    return record


def scenario_storm(cluster: Cluster, p: Params, workdir: Path, command: str) -> Record:
    record = Record("storm", command)
    with World(cluster, "storm", workdir) as world:
        world.start()
        record.load = load_lines(p, world, "; LLM_PROVIDERS=offline")
        deadline = p.ramp + p.warm + p.after + p.question_count() * (p.think_max + 5) + 120
        run, thread = start_candidates(world, p, deadline)
        t0 = time.monotonic()
        fault_at = t0 + p.ramp + p.warm
        sleep_until(fault_at)
        dropped = run.drop_all()
        fired = time.monotonic()
        record.faults.append(
            f"{dropped} sockets aborted at once (TCP abort, no close handshake),"
            f" {p.ramp + p.warm:g} s in; answers in flight lose their ack"
        )
        result = conclude(record, p, world, run, thread, deadline + 60)
        resumed = []
        for r in result["extra"]["records"]:
            welcomes = [t for t, what in r["events"] if what == "welcome" and t >= fired]
            if welcomes:
                resumed.append(welcomes[0] - fired)
        record.checked["candidates resumed after the drop"] = len(resumed)
        record.expect(len(resumed) >= dropped, f"{len(resumed)} of {dropped} resumed")
        record.recovery["drop → last candidate resumed (welcome)"] = (
            f"{max(resumed, default=0):.2f} s (p50 {pct(resumed, 0.5):.2f} s)"
        )
        record.figures.append(
            wait_line("answer → next turn before the drop", waits(result, 0, fired))
        )
        for start in range(0, int(p.after), 5):
            record.figures.append(
                wait_line(
                    f"answer → next turn, sent {start}-{start + 5} s after the drop",
                    waits(result, fired + start, fired + start + 5),
                )
            )
    return record
