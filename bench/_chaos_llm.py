"""The LLM scenarios of bench/chaos.py: the LLM fully down (`llm-down`) and slow (`llm-slow`),
with the breakers' state on every web process sampled throughout (`BreakerWatch`) and their
transitions read from the event log.
"""

import contextlib
import json
import time
from collections import Counter
from pathlib import Path

import httpx

from harness.audit import conclude, sleep_until, start_candidates
from harness.report import Params, Record, load_lines, wait_line, waits
from harness.world import Cluster, Result, World

LLM_BREAKERS = ("llm.openai", "llm.anthropic")


def transitions(world: World, since_epoch: float) -> list[str]:
    """Every breaker transition in the event log, seconds after `since_epoch` (wall clock)."""
    rows = world.sql(
        "SELECT extract(epoch from created_at), breaker_name, from_state, to_state, reason,"
        " details FROM resilience_breakerevent WHERE kind = 'transition' ORDER BY created_at, id"
    )
    return [
        f"{float(at) - since_epoch:+7.1f} s  {name}: {old} → {new} ({reason})"
        + (
            f" trips {details.get('trips')}"
            if isinstance(details, dict) and "trips" in details
            else ""
        )
        for at, name, old, new, reason, details in rows
    ]


class BreakerWatch:
    """Each LLM breaker's state on every web process, and the fake's request counts, sampled."""

    def __init__(self, world: World, names: tuple[str, ...]) -> None:
        self.world = world
        self.names = names
        self.samples: list[tuple[float, dict[int, dict[str, Result]], Result]] = []

    def tick(self) -> None:
        views = {port: self.world.breakers(port) for port in self.world.topology.web_ports}
        with contextlib.suppress(httpx.HTTPError):
            self.samples.append((time.monotonic(), views, self.world.fake()))

    def state(
        self, sample: tuple[float, dict[int, dict[str, Result]], Result], name: str
    ) -> set[str]:
        return {view.get(name, {}).get("state", "?") for view in sample[1].values()}

    def first(self, name: str, state: str, since: float) -> tuple[float, Result] | None:
        for t, views, fake in self.samples:
            if t >= since and any(v.get(name, {}).get("state") == state for v in views.values()):
                return t, fake
        return None

    def at(self, moment: float) -> tuple[float, dict[int, dict[str, Result]], Result]:
        return min(self.samples, key=lambda s: abs(s[0] - moment))

    def disagreement_s(self, name: str) -> float:
        """Longest run of consecutive samples in which the web processes disagreed."""
        longest = run_start = 0.0
        inside = False
        for t, _views, _fake in self.samples:
            differ = len(self.state((t, _views, _fake), name) - {"?"}) > 1
            if differ and not inside:
                inside, run_start = True, t
            elif not differ and inside:
                inside = False
                longest = max(longest, t - run_start)
        return longest


def scenario_llm_down(cluster: Cluster, p: Params, workdir: Path, command: str) -> Record:
    record = Record("llm-down", command)
    world_env = {"LLM_PROVIDERS": "openai,anthropic", "LLM_TIMEOUT_SECONDS": f"{p.llm_timeout:g}"}
    with World(cluster, "llm-down", workdir, env=world_env) as world:
        world.configure_breakers(LLM_BREAKERS)  # the defaults, rows visible to /health
        world.start()
        record.load = load_lines(p, world, "; LLM_PROVIDERS=openai,anthropic (no offline)")
        watch = BreakerWatch(world, LLM_BREAKERS)
        deadline = p.ramp + p.warm + p.outage + p.question_count() * (p.think_max + 5) + 120
        run, thread = start_candidates(world, p, deadline)
        t0 = time.monotonic()
        fault_at, restore_at = t0 + p.ramp + p.warm, t0 + p.ramp + p.warm + p.outage
        sleep_until(fault_at, watch.tick)
        world.fake(mode=p.fault, fail_rate=1)
        fault_at = time.monotonic()
        fault_epoch = time.time()
        watch.tick()
        record.faults.append(
            f"fake LLM mode {p.fault} (every call, both providers) for {p.outage:g} s,"
            f" {p.ramp + p.warm:g} s into the run"
        )
        sleep_until(restore_at, watch.tick)
        world.fake(mode="ok")
        restore_at = time.monotonic()
        watch.tick()
        at_restore = watch.at(restore_at)
        sleep_until(restore_at + p.after, watch.tick)  # breakers' recovery, sampled
        result = conclude(record, p, world, run, thread, deadline + 60, incomplete_ok=True)
        during = waits(result, fault_at, restore_at)
        sources = Counter(src for _, _, src in during)
        record.figures.append(
            "turns served while the LLM was down, by source: "
            + ", ".join(f"{k} {v}" for k, v in sorted(sources.items()))
        )
        record.figures.append(
            wait_line("answer → next turn before the outage", waits(result, 0, fault_at))
        )
        record.figures.append(wait_line("answer → next turn during the outage", during))
        record.figures.append(
            wait_line("answer → next turn after the LLM is back", waits(result, restore_at, 1e18))
        )
        record.expect(
            all(ms <= p.one_timeout_ms() for _, ms, _ in during),
            f"a candidate waited more than one LLM timeout ({p.llm_timeout:g} s, plus slack for"
            " a busy machine) during the outage",
        )
        llm_during = [round(sent - fault_at, 2) for sent, _, src in during if src == "llm"]
        record.expect(
            not llm_during or p.fault != "error500",
            f"an LLM turn was served while every call failed (answers sent {llm_during} s"
            " after the fault)",
        )
        base = world.fake()
        for name, path in (
            ("llm.openai", "/v1/chat/completions"),
            ("llm.anthropic", "/v1/messages"),
        ):
            opened = watch.first(name, "open", fault_at)
            if opened is None or opened[0] > restore_at:
                record.problems.append(f"{name} did not open during the outage")
                continue
            at_fault = watch.at(fault_at)[2]["by_path"].get(path, 0)
            calls = opened[1]["by_path"].get(path, 0) - at_fault
            record.recovery[f"{name} opened after"] = (
                f"{opened[0] - fault_at:.1f} s, {calls} failed calls (failure_threshold 10)"
            )
            left = max(
                float(v.get(name, {}).get("retry_after") or 0) for v in at_restore[1].values()
            )
            closed = watch.first(name, "closed", restore_at)
            bound = left + p.think_max + 10
            calls_after = base["by_path"].get(path, 0) - at_restore[2]["by_path"].get(path, 0)
            if closed is None and calls_after == 0 and name != LLM_BREAKERS[0]:
                # A later provider in the chain is only called when the ones before it fail:
                # with the first one answering again, no call reaches it, so no trial either.
                record.recovery[f"{name} after the LLM returned"] = (
                    "no call reached it (the first provider answered every call), so no trial"
                    " yet: it stays open until its next call"
                )
                continue
            if closed is None:
                record.problems.append(
                    f"{name} did not close within {p.after:g} s of the LLM's return (open time"
                    f" left then {left:.1f} s)"
                )
                continue
            record.recovery[f"{name} closed after the LLM returned"] = (
                f"{closed[0] - restore_at:.1f} s (open time left then {left:.1f} s + trial)"
            )
            record.expect(
                closed[0] - restore_at <= bound,
                f"{name} closed {closed[0] - restore_at:.1f} s after the LLM returned, bound"
                f" {bound:.1f} s",
            )
            record.recovery[f"{name}: longest disagreement between the 2 web processes"] = (
                f"{watch.disagreement_s(name):.1f} s (sampled every ~0.5 s)"
            )
        first_llm = [s for s, _, src in waits(result, restore_at, 1e18) if src == "llm"]
        if first_llm:
            record.recovery["first LLM-written turn after the LLM returned"] = (
                f"{min(first_llm) - restore_at:.1f} s"
            )
        record.figures.append(
            f"fake LLM requests in all: {base['requests']} ({json.dumps(base['by_outcome'])})"
        )
        record.figures.append(
            f"breaker transitions (seconds after the fault; the LLM returned at"
            f" +{restore_at - fault_at:.1f} s):"
        )
        record.figures += ["  " + line for line in transitions(world, fault_epoch)]
    return record


def scenario_llm_slow(cluster: Cluster, p: Params, workdir: Path, command: str) -> Record:
    record = Record("llm-slow", command)
    world_env = {"LLM_PROVIDERS": "openai,offline", "LLM_TIMEOUT_SECONDS": f"{p.llm_timeout:g}"}
    policy = {
        "slow_call_duration": p.slow_call_duration,
        "slow_call_rate_threshold": 50.0,
        "minimum_calls": 5,
        "window_size": 20,
        "recovery_timeout": 10.0,
    }
    with World(cluster, "llm-slow", workdir, env=world_env) as world:
        world.configure_breakers(("llm.openai",), **policy)
        world.start()
        record.load = load_lines(p, world, "; LLM_PROVIDERS=openai,offline")
        watch = BreakerWatch(world, ("llm.openai",))
        deadline = p.ramp + p.warm + p.outage + p.question_count() * (p.think_max + 5) + 120
        run, thread = start_candidates(world, p, deadline)
        t0 = time.monotonic()
        fault_at, restore_at = t0 + p.ramp + p.warm, t0 + p.ramp + p.warm + p.outage
        sleep_until(fault_at, watch.tick)
        world.fake(latency_ms=p.latency_ms)
        fault_at = time.monotonic()
        fault_epoch = time.time()
        record.faults.append(
            f"fake LLM answers after {p.latency_ms:g} ms (slow-call threshold"
            f" {p.slow_call_duration:g} s, rate 50 % of >= 5 calls; LLM_TIMEOUT_SECONDS"
            f" {p.llm_timeout:g}) for {p.outage:g} s"
        )
        sleep_until(restore_at, watch.tick)
        world.fake(latency_ms=0)
        restore_at = time.monotonic()
        watch.tick()
        left = max(
            float(v.get("llm.openai", {}).get("retry_after") or 0)
            for v in watch.at(restore_at)[1].values()
        )
        sleep_until(restore_at + max(p.after, left + 15), watch.tick)
        result = conclude(record, p, world, run, thread, deadline + 60)
        during = waits(result, fault_at, restore_at)
        record.figures.append(
            "turns while slow, by source: "
            + ", ".join(f"{k} {v}" for k, v in sorted(Counter(s for *_, s in during).items()))
        )
        record.figures.append(wait_line("answer → next turn while the LLM is slow", during))
        record.expect(
            all(ms <= p.one_timeout_ms() for _, ms, _ in during),
            f"a candidate waited more than one LLM timeout ({p.llm_timeout:g} s, plus slack for"
            " a busy machine) while the LLM was slow",
        )
        opened = watch.first("llm.openai", "open", fault_at)
        reasons = world.sql(
            "SELECT reason, count(*) FROM resilience_breakerevent WHERE kind = 'transition'"
            " AND to_state = 'open' GROUP BY 1"
        )
        record.recovery["llm.openai opened by"] = json.dumps(dict(reasons))
        if opened is None or opened[0] > restore_at:
            record.problems.append("llm.openai did not open while the LLM was slow")
        else:
            record.recovery["llm.openai opened after"] = f"{opened[0] - fault_at:.1f} s"
            record.expect(
                any("slow" in str(r) for r, _ in reasons), "the breaker did not open on slow calls"
            )
        closed = watch.first("llm.openai", "closed", restore_at)
        # A trial that started before the latency was removed is slow and re-opens it: the
        # bound is the open time left then, plus one trial and a think time.
        bound = left + p.think_max + 10
        record.recovery["llm.openai closed after the latency was removed"] = (
            f"{closed[0] - restore_at:.1f} s (open time left then {left:.1f} s + trial)"
            if closed
            else f"not within {max(p.after, left + 15):.0f} s"
        )
        record.expect(
            closed is not None and closed[0] - restore_at <= bound,
            f"llm.openai did not close within {bound:.0f} s of the LLM being fast again",
        )
        record.figures.append("breaker transitions (seconds after the latency was added):")
        record.figures += ["  " + line for line in transitions(world, fault_epoch)]
    return record
