"""Driving a chaos scenario's candidates and auditing what they left: start them on their own
thread, wait for them, compare every interview's stored turns with what its candidate sent and
saw acknowledged, wait for the evaluations, and the checks every scenario makes.
"""

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable

from harness.chaos_clients import ChaosRun
from harness.report import Params, Record
from harness.world import Result, World
from harness.ws_clients import Timing


def start_candidates(
    world: World, p: Params, deadline_s: float
) -> tuple[ChaosRun, threading.Thread]:
    paths = world.create_interviews(p.interviews, p.question_count())
    timing = Timing(
        think_min=p.think_min, think_max=p.think_max, timeout=p.llm_timeout + 15, thin_share=0.25
    )
    run = ChaosRun(world.plan(paths), timing, p.ramp, time.monotonic() + deadline_s)
    thread = threading.Thread(target=run.run, name="chaos-candidates", daemon=True)
    thread.start()
    wait_until(lambda: run.loop is not None and len(run.candidates) == p.interviews, 30)
    return run, thread


def wait_until(predicate: Callable[[], bool], timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def sleep_until(moment: float, tick: Callable[[], None] | None = None, every: float = 0.5) -> None:
    while (left := moment - time.monotonic()) > 0:
        if tick is not None:
            tick()
        time.sleep(min(every, max(left, 0.0)))


def finish_candidates(run: ChaosRun, thread: threading.Thread, timeout: float) -> Result:
    thread.join(timeout)
    if thread.is_alive():
        raise RuntimeError("the candidates did not finish by their deadline")
    return run.result


def audit(world: World, result: Result) -> dict[str, int]:
    """Every interview's stored turns against what its candidate sent and saw acknowledged."""
    records = result["extra"]["records"]
    rows = world.sql(
        "SELECT i.room_id, i.status, t.seq, t.kind, t.client_msg_id FROM interviews_interview i"
        " LEFT JOIN interviews_turn t ON t.interview_id = i.id ORDER BY i.id, t.seq"
    )
    turns: dict[str, list[tuple[int, str, str]]] = {}
    status: dict[str, str] = {}
    for room, state, seq, kind, msg_id in rows:
        status[room] = state
        if seq is not None:
            turns.setdefault(room, []).append((seq, kind, str(msg_id) if msg_id else ""))
    total: Counter[str] = Counter()
    for record in records:
        room = record["url"].split("/ws/interviews/", 1)[1].split("/", 1)[0]
        events = turns.get(room, [])
        sent, acked = set(record["sent"]), set(record["acked"])
        stored = [m for _, kind, m in events if kind == "answer"]
        stored_set = set(stored)
        kinds = [kind for _, kind, _ in events]
        total["interviews"] += 1
        total["interviews completed"] += status.get(room) == "completed"
        total["answers sent (distinct client_msg_id)"] += len(sent)
        total["answers acknowledged"] += len(acked)
        total["answers stored"] += len(stored)
        total["lost (acknowledged, not stored)"] += len(acked - stored_set)
        # The answer a candidate still waited on when the run's deadline stopped it (an
        # overloaded run) was never confirmed either way: counted apart, not as lost.
        gave_up = set()
        if not record["completed"] and not record["finished_elsewhere"] and record["outstanding"]:
            gave_up = {record["outstanding"]} - stored_set
        total["lost (sent, never acknowledged nor stored)"] += len(
            sent - acked - stored_set - gave_up
        )
        total["unconfirmed: candidate stopped at the deadline waiting for it"] += len(gave_up)
        total["duplicated (same client_msg_id twice)"] += len(stored) - len(stored_set)
        total["duplicated (two answers to one question)"] += sum(
            1 for a, b in itertools.pairwise(kinds) if a == b == "answer"
        )
        total["stored but never sent"] += len(stored_set - sent)
        total["interviews with a seq gap"] += [s for s, _, _ in events] != list(
            range(1, len(events) + 1)
        )
        total["client's last seq != stored last seq"] += bool(events) and (
            record["last_seq"] != events[-1][0] and not record["finished_elsewhere"]
        )
        total["sockets opened"] += record["connects"]
        total["resumed on another web process"] += sum(
            1 for a, b in itertools.pairwise(record["ports"]) if a != b
        )
        total["answers re-sent after a retryable error"] += record["retried"]
    return dict(total)


def evaluations(world: World, timeout: float) -> dict[str, int]:
    """Wait (bounded) until every finished interview's evaluation is final; count them."""

    def counts() -> dict[str, int]:
        rows = world.sql(
            "SELECT coalesce(e.status, 'missing'), count(*) FROM interviews_interview i LEFT JOIN"
            " interviews_evaluation e ON e.interview_id = i.id WHERE i.status = 'completed'"
            " GROUP BY 1"
        )
        return {status: n for status, n in rows}

    wait_until(lambda: set(counts()) <= {"done", "incomplete"}, timeout, every=1)
    found = counts()
    attempts = world.sql(
        "SELECT attempts, count(*) FROM interviews_evaluation GROUP BY 1 ORDER BY 1"
    )
    out = {f"evaluations {status}": n for status, n in sorted(found.items())}
    out.update({f"evaluations run {a} time(s) (attempts)": n for a, n in attempts})
    return out


def common_checks(
    record: Record, p: Params, result: Result, world: "World", *, incomplete_ok: bool = False
) -> None:
    """`incomplete_ok`: an evaluation may end `incomplete` (its reason stored, staff can re-run
    it) instead of `done`: with no offline interviewer listed, one that runs while the LLM
    breakers are open fails after EVALUATION_MAX_ATTEMPTS attempts. It must still be final."""
    problems = world.log_problems()
    record.figures.append(
        "ERROR lines / tracebacks in the server logs: "
        + (", ".join(f"{k} {v}" for k, v in sorted(problems.items()) if v) or "none")
    )
    record.figures.append(world.connections())
    c = record.checked
    record.expect(record.lost == 0, f"{record.lost} answers lost")
    record.expect(record.duplicated == 0, f"{record.duplicated} answers duplicated")
    record.expect(c.get("interviews with a seq gap", 0) == 0, "a transcript has a seq gap")
    record.expect(
        c.get("interviews completed", 0) == p.interviews,
        f"only {c.get('interviews completed', 0)} of {p.interviews} interviews completed",
    )
    record.expect(
        c.get("client's last seq != stored last seq", 0) == 0,
        "a candidate's last seq differs from the stored one",
    )
    errors = {k: v for k, v in result["errors"].items()}
    record.expect(not errors, f"client errors: {errors} {result['samples'][:3]}")
    done = c.get("evaluations done", 0) + incomplete_ok * c.get("evaluations incomplete", 0)
    record.expect(
        done == c.get("interviews completed", 0),
        f"{done} evaluations final for {c.get('interviews completed', 0)} completed interviews",
    )
    record.checked["client error frames / unexpected failures"] = sum(errors.values())


def conclude(
    record: Record,
    p: Params,
    world: World,
    run: ChaosRun,
    thread: threading.Thread,
    timeout: float,
    *,
    evaluations_within: float = 180,
    incomplete_ok: bool = False,
) -> Result:
    """The end of every scenario: wait (bounded) for the candidates, audit what they left, wait
    for the evaluations and make `common_checks`. Returns the candidates' result."""
    result = finish_candidates(run, thread, timeout)
    record.checked = audit(world, result)
    record.checked.update(evaluations(world, evaluations_within))
    common_checks(record, p, result, world, incomplete_ok=incomplete_ok)
    return result
