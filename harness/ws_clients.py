"""Simulated candidates: docs/protocol.md spoken with the `websockets` client.

`Candidate` is one candidate on one interview, a frame-driven state machine that survives
resumes. A shard is one asyncio event loop driving many candidates (`run_shard`); what it
measured is a `Tally`, returned as plain JSON-able data so bench/ws_load.py can merge the shards
of several client processes. Every wait is bounded by `Timing.timeout`, so a silent server is
counted as a timeout, never waited on forever.

The load shapes of bench/ws_load.py are in bench/_ws_load_clients.py, the fault-riding
candidates of bench/chaos.py and the tests in harness/chaos_clients.py.
"""

import asyncio
import contextlib
import json
import random
import resource
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

ORIGIN = "http://127.0.0.1"
STRONG_ANSWER = (
    "I would start by profiling to find the real bottleneck, then fix the algorithm before "
    "micro-optimising. For example, replacing a nested loop with a dictionary lookup turned an "
    "O(n squared) job into O(n). I measure with benchmarks, add tests so behaviour stays the "
    "same, and document the trade-offs such as memory use, readability and maintainability."
)
THIN_ANSWER = "I would use an index and a cache."  # under 25 words: draws a follow-up
TURNS = ("question", "follow_up", "completed")
Frame = dict[str, Any]


class Dropped(Exception):
    """This candidate's socket was dropped on purpose (reconnect storm)."""


@dataclass(frozen=True)
class Timing:
    think_min: float = 2.0
    think_max: float = 4.0
    timeout: float = 15.0
    thin_share: float = 0.25
    deflate: bool = True  # browsers always offer permessage-deflate


@dataclass
class Tally:
    """What one shard measured; lists hold milliseconds unless named otherwise."""

    handshake_ms: list[float] = field(default_factory=list)
    welcome_ms: list[float] = field(default_factory=list)  # connect start → welcome
    # (monotonic send time, latency ms, phase) for every answer → next turn round trip
    latencies: list[tuple[float, float, str]] = field(default_factory=list)
    pong_ms: list[tuple[float, float]] = field(default_factory=list)  # (sent, round trip)
    turns: list[tuple[float, str]] = field(default_factory=list)  # (arrival, "kind:source")
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    answers_sent: int = 0
    answers_acked: int = 0
    resent: int = 0
    resent_already_stored: int = 0
    repeated_acks: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    interviews_completed: int = 0
    frames_in: int = 0
    out_of_interviews: int = 0
    loop_lag_ms: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    wall_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] += 1
        if len(self.samples) < 20:
            self.samples.append(f"{kind}: {detail}"[:300])

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["errors"] = dict(self.errors)
        data["faults"] = dict(self.faults)
        return data


class Candidate:
    """One candidate on one interview: a frame-driven state machine that survives resumes."""

    def __init__(self, url: str, timing: Timing, tally: Tally, rng: random.Random) -> None:
        self.url = url
        self.timing = timing
        self.tally = tally
        self.rng = rng
        self.ws: ClientConnection | None = None
        self.last_seq = 0
        self.ping_interval = 20.0
        self.pending: Frame | None = None  # the question or follow-up waiting for an answer
        self.answered: set[int] = set()  # seqs of questions already answered
        self.outstanding: tuple[str, str] | None = None  # (client_msg_id, text) awaiting a turn
        self.sent_at: float | None = None  # None: the round trip crossed a drop, not timed
        self.sent_phase = ""
        self.phase = "steady"
        self.sent: list[str] = []
        self.acked: set[str] = set()
        self.completed = False
        self.dropping = False  # set by the storm: a closed socket is expected from now on
        self.faulted = False  # this candidate's socket has been dropped by the storm
        self.dropped_at: float | None = None
        self.pong = asyncio.Event()

    async def open(self) -> None:
        """Connect, say hello with the last seq seen, and read up to `welcome`."""
        started = time.monotonic()
        self.ws = await websockets.connect(
            self.url,
            origin=ORIGIN,  # type: ignore[arg-type]
            open_timeout=self.timing.timeout,
            ping_interval=None,  # keepalive is the protocol's own `ping` frame
            compression="deflate" if self.timing.deflate else None,
            close_timeout=2,
        )
        self.tally.handshake_ms.append((time.monotonic() - started) * 1000)
        await self.ws.send(json.dumps({"type": "hello", "last_seq": self.last_seq}))
        while True:
            frame = await self.recv()
            if frame["type"] == "welcome":
                self.ping_interval = float(frame["interview"].get("ping_interval") or 20)
                break
            if frame["type"] == "error":
                raise ConnectionError(f"error before welcome: {frame.get('code')}")
        self.tally.welcome_ms.append((time.monotonic() - started) * 1000)

    async def recv(self) -> Frame:
        assert self.ws is not None
        raw = await asyncio.wait_for(self.ws.recv(), self.timing.timeout)
        frame: Frame = json.loads(raw)
        self.tally.frames_in += 1
        self.handle(frame)
        return frame

    def handle(self, frame: Frame) -> None:
        kind = frame.get("type")
        if kind == "error":
            self.tally.error(f"error frame {frame.get('code')}", str(frame.get("message")))
        elif kind == "pong":
            self.pong.set()
        seq = frame.get("seq")
        if not isinstance(seq, int):
            return
        if seq <= self.last_seq:
            # Allowed again: the pending question re-shown after a resume, and the ack of an
            # answer re-sent after a resume (acknowledged again, stored once).
            if kind in ("question", "follow_up"):
                if seq not in self.answered:
                    self.pending = frame
            elif kind == "ack":
                self.acked.add(frame["client_msg_id"])
                self.tally.repeated_acks += 1
            else:
                self.tally.error("repeated seq", f"{kind} seq {seq} after {self.last_seq}")
            return
        if seq != self.last_seq + 1:
            self.tally.error("seq gap", f"{kind} seq {seq} after {self.last_seq}")
        self.last_seq = seq
        if kind == "ack":
            self.acked.add(frame["client_msg_id"])
            self.tally.answers_acked += 1
        elif kind in TURNS:
            if self.outstanding is not None and self.sent_at is not None:
                latency = (time.monotonic() - self.sent_at) * 1000
                self.tally.latencies.append((self.sent_at, latency, self.sent_phase))
            self.outstanding = None
            self.sent_at = None
            if kind == "completed":
                self.completed = True
                self.pending = None
                self.tally.interviews_completed += 1
            else:
                self.pending = frame
                self.tally.turns.append((time.monotonic(), f"{kind}:{frame.get('source')}"))

    async def answer(self, *, lost: bool = False) -> None:
        """Answer the pending question; `lost`: the frame never leaves (dies with the socket)."""
        assert self.ws is not None
        assert self.pending is not None
        thin = self.rng.random() < self.timing.thin_share
        text = THIN_ANSWER if thin else STRONG_ANSWER
        msg_id = str(uuid.uuid4())
        self.outstanding = (msg_id, text)
        self.answered.add(self.pending["seq"])
        self.pending = None
        self.sent.append(msg_id)
        self.tally.answers_sent += 1
        self.sent_at = time.monotonic()
        self.sent_phase = self.phase
        if not lost:
            await self.ws.send(
                json.dumps({"type": "answer", "text": text, "client_msg_id": msg_id})
            )

    async def resend(self) -> None:
        """After a resume: the unacknowledged answer again, with the same client_msg_id."""
        if self.outstanding is None or self.ws is None:
            return
        self.sent_at = None  # this round trip spans the drop: not a latency sample
        msg_id, text = self.outstanding
        if msg_id in self.acked:
            self.tally.resent_already_stored += 1  # acked before the drop; the turn follows
            return
        self.tally.resent += 1
        await self.ws.send(json.dumps({"type": "answer", "text": text, "client_msg_id": msg_id}))

    async def converse(self, until: float, storm: asyncio.Event | None = None) -> bool:
        """Answer each question after the think time; True at `completed`, False at `until`."""
        while not self.completed:
            if self.pending is not None and self.outstanding is None:
                think = self.rng.uniform(self.timing.think_min, self.timing.think_max)
                if time.monotonic() + think > until:
                    return False
                if storm is None or self.faulted:
                    await asyncio.sleep(think)
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(storm.wait(), think)
                    if storm.is_set():  # the storm hit while thinking: answer, then drop
                        self.faulted = True
                        lost = self.rng.random() < 0.5
                        self.tally.faults[
                            "answer lost with the socket" if lost else "answer sent, then dropped"
                        ] += 1
                        await self.answer(lost=lost)
                        self.abort()
                        raise Dropped
                await self.answer()
            else:
                if self.outstanding is None and time.monotonic() > until:
                    return False
                await self.recv()
        return True

    def abort(self) -> None:
        """Drop the TCP connection without a WebSocket close handshake."""
        if self.dropped_at is None:
            self.dropped_at = time.monotonic()
        if self.ws is not None and self.ws.transport is not None:
            self.ws.transport.abort()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def _lag_monitor(tally: Tally, stop: asyncio.Event, period: float = 0.05) -> None:
    """How late this event loop wakes up: a saturated client would inflate every latency."""
    while not stop.is_set():
        started = time.monotonic()
        await asyncio.sleep(period)
        tally.loop_lag_ms.append((time.monotonic() - started - period) * 1000)


async def run_shard(body: Callable[[Tally], Awaitable[None]]) -> Tally:
    tally = Tally()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    stop = asyncio.Event()
    monitor = asyncio.create_task(_lag_monitor(tally, stop))
    try:
        await body(tally)
    finally:
        stop.set()
        await monitor
    after = resource.getrusage(resource.RUSAGE_SELF)
    tally.cpu_s = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    tally.wall_s = time.monotonic() - started
    return tally


def record_failure(tally: Tally, exc: BaseException) -> None:
    if isinstance(exc, TimeoutError):
        tally.error("timeout", "no frame within the timeout")
    elif isinstance(exc, ConnectionClosed):
        code = exc.rcvd.code if exc.rcvd else "none"
        tally.error(f"closed {code}", str(exc))
    else:
        tally.error(f"failed {type(exc).__name__}", str(exc))


async def quiet_close(cand: Candidate) -> None:
    with contextlib.suppress(TimeoutError, ConnectionClosed, OSError):
        await asyncio.wait_for(cand.close(), cand.timing.timeout)
