"""What a chaos scenario is given and what it reports: its sizes (`Params`), its record
(`Record`: load, faults, what was checked, lost, recovery times, verdict), and the figures in it
(answer → next turn waits, time to recover).
"""

import math
import time
from dataclasses import dataclass, field

from harness.world import Result, World


@dataclass
class Params:
    interviews: int = 50
    outage: float = 60.0  # seconds the fault lasts (llm-down, llm-slow, redis/postgres down)
    warm: float = 20.0  # seconds of healthy load before the fault
    after: float = 20.0  # seconds the interviews keep going after the fault ends, at least
    questions: int = 0  # 0: enough for every interview to outlast warm + outage + after
    think_min: float = 2.0
    think_max: float = 4.0
    ramp: float = 5.0
    llm_timeout: float = 15.0  # LLM_TIMEOUT_SECONDS
    latency_ms: float = 4000.0  # llm-slow: the LLM's answer time
    slow_call_duration: float = 2.0  # llm-slow: the breakers' slow-call threshold
    kills: int = 2  # worker-kill
    fault: str = "error500"  # llm-down: the fake's mode while "down"
    task_time_limit: int = 30  # CELERY_TASK_TIME_LIMIT; the visibility timeout is 15 s more

    def one_timeout_ms(self) -> float:
        """One LLM timeout, plus what the rest of a turn may take on a busy shared machine
        (saving the answer and the turn, the socket): a second timeout never fits in it."""
        return (self.llm_timeout + max(3.0, self.llm_timeout / 2)) * 1000

    def question_count(self) -> int:
        if self.questions:
            return self.questions
        turn = (self.think_min + self.think_max) / 2 + 0.5
        return max(3, min(50, math.ceil((self.ramp + self.warm + self.outage + self.after) / turn)))


@dataclass
class Record:
    scenario: str
    command: str
    load: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    recovery: dict[str, str] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    wall_s: float = 0.0

    @property
    def lost(self) -> int:
        return sum(v for k, v in self.checked.items() if k.startswith("lost"))

    @property
    def duplicated(self) -> int:
        return sum(v for k, v in self.checked.items() if k.startswith("duplicated"))

    @property
    def ok(self) -> bool:
        return not self.problems

    def expect(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)

    def text(self) -> str:
        lines = [f"=== {self.scenario}: {'PASS' if self.ok else 'FAIL'} ({self.wall_s:.0f} s)"]
        lines.append(f"command: {self.command}")
        for title, items in (("load", self.load), ("faults injected", self.faults)):
            lines.append(f"{title}:")
            lines += [f"  {item}" for item in items]
        lines.append("checked:")
        lines += [f"  {key:<52} {value}" for key, value in self.checked.items()]
        lines.append(f"LOST: {self.lost}   DUPLICATED: {self.duplicated}")
        lines.append("recovery:")
        lines += [f"  {key:<52} {value}" for key, value in self.recovery.items()]
        if self.figures:
            lines.append("figures:")
            lines += [f"  {item}" for item in self.figures]
        for problem in self.problems:
            lines.append(f"PROBLEM: {problem}")
        return "\n".join(lines)

    def as_dict(self) -> Result:
        data = dict(self.__dict__)
        data.update(ok=self.ok, lost=self.lost, duplicated=self.duplicated)
        return data


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def waits(result: Result, start: float, end: float) -> list[tuple[float, float, str]]:
    """(sent, ms, source) of answers first sent in [start, end)."""
    return [
        (sent, ms, source)
        for r in result["extra"]["records"]
        for sent, ms, source in r["waits"]
        if start <= sent < end
    ]


def wait_line(name: str, items: list[tuple[float, float, str]]) -> str:
    ms = [x[1] for x in items]
    if not ms:
        return f"{name}: no samples"
    return (
        f"{name}: p50 {pct(ms, 0.5):.0f} ms, p99 {pct(ms, 0.99):.0f} ms, max {max(ms):.0f} ms"
        f" (n={len(ms)})"
    )


def recovered_after(result: Result, moment: float) -> tuple[float, int]:
    """Seconds from `moment` until every candidate still interviewing made progress again
    (a new ack or turn), and how many candidates that covers."""
    progress = ("ack", "question", "follow_up", "completed")
    delays = []
    for record in result["extra"]["records"]:
        events = record["events"]
        if any(what == "completed" and t < moment for t, what in events):
            continue
        after = [t for t, what in events if t >= moment and what in progress]
        if after:
            delays.append(after[0] - moment)
    return (max(delays) if delays else 0.0), len(delays)


def load_lines(p: Params, world: World, extra: str = "") -> list[str]:
    topo = world.topology
    return [
        f"{p.interviews} live interviews of {p.question_count()} questions, think time"
        f" {p.think_min:g}-{p.think_max:g} s, started over {p.ramp:g} s{extra}",
        f"2 uvicorn processes (ports {', '.join(map(str, topo.web_ports))}; each candidate"
        " alternates on every (re)connect), 2 Celery workers (concurrency 1), 1 beat,"
        " private PostgreSQL and Redis, fake LLM",
    ]
