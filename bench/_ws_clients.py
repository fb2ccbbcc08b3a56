"""Simulated candidates for bench/ws_load.py: docs/protocol.md spoken with the `websockets` client.

A shard is one asyncio event loop driving many candidates; ws_load.py runs one shard per client
process and merges what each returns (`Tally.as_dict`, plain JSON-able data). Every wait is
bounded by `Timing.timeout`, so a silent server is counted as a timeout, never waited on forever.
"""

import asyncio
import contextlib
import json
import random
import resource
import threading
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


async def _shard(body: Callable[[Tally], Awaitable[None]]) -> Tally:
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


def _failure(tally: Tally, exc: BaseException) -> None:
    if isinstance(exc, TimeoutError):
        tally.error("timeout", "no frame within the timeout")
    elif isinstance(exc, ConnectionClosed):
        code = exc.rcvd.code if exc.rcvd else "none"
        tally.error(f"closed {code}", str(exc))
    else:
        tally.error(f"failed {type(exc).__name__}", str(exc))


# --- steady: interviews back to back ---------------------------------------------------------
async def _steady_candidate(
    urls: list[str], start: float, until: float, timing: Timing, tally: Tally, seed: int
) -> None:
    rng = random.Random(seed)
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    for url in urls:
        if time.monotonic() >= until:
            return
        cand = Candidate(url, timing, tally, rng)
        try:
            await cand.open()
            if not await cand.converse(until):
                return  # the run is over; this interview stays unfinished
        except (TimeoutError, ConnectionClosed, OSError) as exc:
            _failure(tally, exc)
        finally:
            await _quiet_close(cand)
    tally.out_of_interviews += 1


async def _quiet_close(cand: Candidate) -> None:
    with contextlib.suppress(TimeoutError, ConnectionClosed, OSError):
        await asyncio.wait_for(cand.close(), cand.timing.timeout)


def run_steady(
    plan: list[list[str]], ramp: float, duration: float, timing: Timing, seed: int
) -> dict[str, Any]:
    """Each entry of `plan` is one candidate's interviews, taken back to back."""

    async def body(tally: Tally) -> None:
        now = time.monotonic()
        until = now + ramp + duration
        tasks = [
            _steady_candidate(urls, now + ramp * i / len(plan), until, timing, tally, seed + i)
            for i, urls in enumerate(plan)
        ]
        await asyncio.gather(*tasks)

    return asyncio.run(_shard(body)).as_dict()


# --- storm: everyone drops at once and resumes -----------------------------------------------
async def _storm_candidate(
    cand: Candidate, start: float, until: float, storm: asyncio.Event, record: dict[str, Any]
) -> None:
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    try:
        await cand.open()
    except (TimeoutError, ConnectionClosed, OSError) as exc:
        _failure(cand.tally, exc)
        return
    while True:
        try:
            await cand.converse(until, storm)
            break
        except (Dropped, ConnectionClosed, OSError, TimeoutError) as exc:
            if not cand.dropping or "resumed_at" in record:
                _failure(cand.tally, exc)
                break
        cand.phase = "resume"
        cand.sent_at = None
        try:
            await cand.open()  # hello with the last seq seen
            record["resumed_at"] = time.monotonic()
            await cand.resend()
            cand.phase = "after"
        except (TimeoutError, ConnectionClosed, OSError) as exc:
            _failure(cand.tally, exc)
            record["resume_failed"] = str(exc)[:200]
            break
    await _quiet_close(cand)
    record.update(
        sent=cand.sent, acked=sorted(cand.acked), last_seq=cand.last_seq, dropped_at=cand.dropped_at
    )


def run_storm(
    plan: list[str], ramp: float, storm_at: float, until: float, timing: Timing, seed: int
) -> dict[str, Any]:
    """`plan`: one interview per candidate. At monotonic `storm_at` every socket drops."""

    async def body(tally: Tally) -> None:
        rng = random.Random(seed)
        cands = [Candidate(url, timing, tally, rng) for url in plan]
        for cand in cands:
            cand.phase = "before"
        records: list[dict[str, Any]] = [{"url": url} for url in plan]
        storm = asyncio.Event()
        now = time.monotonic()
        tasks = [
            asyncio.create_task(
                _storm_candidate(c, now + ramp * i / len(cands), until, storm, records[i])
            )
            for i, c in enumerate(cands)
        ]
        await asyncio.sleep(max(0.0, storm_at - time.monotonic()))
        fired = time.monotonic()
        for cand in cands:
            cand.dropping = True
            if cand.outstanding is not None or cand.pending is None:
                cand.faulted = True
                cand.abort()  # waiting for the server
                if cand.outstanding is None:
                    state = "dropped waiting for a question"
                elif cand.outstanding[0] in cand.acked:
                    state = "dropped after the ack, before the next question"
                else:
                    state = "dropped with an answer unacknowledged"
                tally.faults[state] += 1
        storm.set()  # the thinking ones answer (or lose the answer), then drop
        tally.extra.update(fired_at=fired, spread_s=time.monotonic() - fired)
        await asyncio.gather(*tasks)
        tally.extra["records"] = records

    return asyncio.run(_shard(body)).as_dict()


# --- idle: many sockets that only ping ----------------------------------------------------------
async def _idle_candidate(
    cand: Candidate,
    gate: asyncio.Semaphore,
    opened: Callable[[bool], None],
    release: asyncio.Event,
) -> None:
    try:
        async with gate:
            await cand.open()
            while cand.pending is None:  # the first hello starts the interview: question 1
                await cand.recv()
    except (TimeoutError, ConnectionClosed, OSError) as exc:
        _failure(cand.tally, exc)
        opened(False)
        await _quiet_close(cand)
        return
    opened(True)
    assert cand.ws is not None
    first = cand.rng.uniform(0, cand.ping_interval)  # spread the pings over the interval
    try:
        delay = first
        while True:
            try:
                await asyncio.wait_for(release.wait(), delay)
                break
            except TimeoutError:
                pass
            cand.pong.clear()
            sent = time.monotonic()
            await cand.ws.send(json.dumps({"type": "ping"}))
            while not cand.pong.is_set():
                await cand.recv()
            cand.tally.pong_ms.append((sent, (time.monotonic() - sent) * 1000))
            delay = cand.ping_interval
    except (TimeoutError, ConnectionClosed, OSError) as exc:
        _failure(cand.tally, exc)
    await _quiet_close(cand)


def run_idle(
    plan: list[str],
    timing: Timing,
    concurrency: int,
    on_open: Callable[[int], None],
    wait_released: Callable[[float], bool],
    hard_deadline: float,
    seed: int,
) -> dict[str, Any]:
    """Open one socket per URL, then only ping until `wait_released(timeout)` returns (it
    blocks; it runs in a thread) or `hard_deadline` passes.

    `on_open(count)` is called once all sockets of this shard are open (count = how many)."""

    async def body(tally: Tally) -> None:
        rng = random.Random(seed)
        gate = asyncio.Semaphore(concurrency)
        release = asyncio.Event()
        count = failed = 0

        def opened(ok: bool) -> None:
            nonlocal count, failed
            count += ok
            failed += not ok

        cands = [Candidate(url, timing, tally, rng) for url in plan]
        started = time.monotonic()
        tasks = [asyncio.create_task(_idle_candidate(c, gate, opened, release)) for c in cands]
        while count + failed < len(cands):
            if time.monotonic() > hard_deadline:
                break
            await asyncio.sleep(0.1)
        tally.extra["open_s"] = time.monotonic() - started
        on_open(count)
        await asyncio.to_thread(wait_released, max(0.0, hard_deadline - time.monotonic()))
        release.set()
        await asyncio.gather(*tasks)
        tally.extra["opened"] = count

    return asyncio.run(_shard(body)).as_dict()


# --- cycles: connect, hello, disconnect --------------------------------------------------------
async def cycle_once(cand: Candidate) -> None:
    """One connect/hello/ping/close; the pong proves the server finished handling hello."""
    await cand.open()
    assert cand.ws is not None
    cand.pong.clear()
    await cand.ws.send(json.dumps({"type": "ping"}))
    while not cand.pong.is_set():
        await cand.recv()
    await cand.close()


def run_cycles(
    plan: list[str],
    cycles: int,
    every: int,
    timing: Timing,
    sample: Callable[[int], None],
    concurrency: int = 1,
) -> dict[str, Any]:
    """`cycles` connect/hello/disconnect cycles over `plan` (one interview per concurrent
    cycle), `concurrency` at a time; `sample(n)` at 0 and each time n passes a multiple of
    `every`."""

    async def body(tally: Tally) -> None:
        rng = random.Random(0)
        cands = [Candidate(url, timing, tally, rng) for url in plan]

        async def one(cand: Candidate) -> None:
            try:
                await cycle_once(cand)
            except (TimeoutError, ConnectionClosed, OSError) as exc:
                _failure(tally, exc)
                await _quiet_close(cand)

        sample(0)
        done = 0
        while done < cycles:
            batch = min(concurrency, cycles - done)
            await asyncio.gather(*(one(cands[(done + i) % len(cands)]) for i in range(batch)))
            before, done = done, done + batch
            if done // every > before // every or done == cycles:
                sample(done)

    return asyncio.run(_shard(body)).as_dict()


# --- chaos: candidates that ride out any fault (bench/chaos.py, tests/chaos/) -------------------
# Scale-out: each candidate gets one URL per web process and connects to the next one on every
# (re)connect, so sockets are spread over the processes and every resume lands on another one.
RETRY_PAUSE = (0.5, 1.5)  # seconds a candidate waits before reconnecting or re-sending


class ChaosCandidate(Candidate):
    """A candidate as docs/protocol.md asks a client to behave under faults: reconnect with the
    last seq seen, re-send an unacknowledged answer with its client_msg_id, and re-send an answer
    refused with a retryable error. Every progress event is time-stamped for recovery figures."""

    def __init__(
        self, urls: list[str], timing: Timing, tally: Tally, rng: random.Random, index: int
    ) -> None:
        super().__init__(urls[index % len(urls)], timing, tally, rng)
        self.urls = urls
        self.index = index
        self.connects = 0
        self.ports: list[str] = []
        self.retry_answer = False
        self.finished_elsewhere = False  # closed 4410: the interview ended while we were away
        self.first_sent_at: float | None = None  # first send of the outstanding answer
        self.waits: list[tuple[float, float, str]] = []  # (sent, ms to the next turn, source)
        self.events: list[tuple[float, str]] = []  # (monotonic, what): progress and faults
        self.retried = 0

    def handle(self, frame: Frame) -> None:
        now = time.monotonic()
        if frame.get("type") == "error":
            code = str(frame.get("code"))
            self.events.append((now, f"error:{code}"))
            if frame.get("retryable"):
                self.tally.faults[f"retryable error frame {code}"] += 1
                self.retry_answer = self.outstanding is not None
            elif code == "interview_finished":
                self.finished_elsewhere = True
            elif code != "superseded":
                self.tally.error(f"error frame {code}", str(frame.get("message")))
            return
        before = self.last_seq
        super().handle(frame)
        kind = frame.get("type")
        if kind == "welcome":
            self.events.append((now, "welcome"))
        if self.last_seq > before:
            self.events.append((now, str(kind)))
            if kind in TURNS and self.first_sent_at is not None:
                source = str(frame.get("source") or kind)
                self.waits.append((self.first_sent_at, (now - self.first_sent_at) * 1000, source))
                self.first_sent_at = None

    async def answer(self, *, lost: bool = False) -> None:
        self.first_sent_at = time.monotonic()
        await super().answer(lost=lost)

    async def connect(self) -> None:
        self.url = self.urls[(self.index + self.connects) % len(self.urls)]
        self.connects += 1
        self.ports.append(self.url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        self.pending = None  # the server shows the pending question again after welcome
        await self.open()
        if self.connects > 1:
            await self.resend()

    async def converse_through(self, until: float) -> None:
        """Answer until `completed`; re-send an answer refused with a retryable error."""
        while not self.completed and time.monotonic() < until:
            if self.retry_answer and self.outstanding is not None:
                self.retry_answer = False
                await asyncio.sleep(self.rng.uniform(*RETRY_PAUSE))
                assert self.ws is not None
                msg_id, text = self.outstanding
                self.retried += 1
                await self.ws.send(
                    json.dumps({"type": "answer", "text": text, "client_msg_id": msg_id})
                )
            elif self.pending is not None and self.outstanding is None:
                await asyncio.sleep(self.rng.uniform(self.timing.think_min, self.timing.think_max))
                await self.answer()
            else:
                await self.recv()

    def record(self) -> dict[str, Any]:
        return {
            "url": self.urls[0],
            "sent": self.sent,
            "acked": sorted(self.acked),
            "last_seq": self.last_seq,
            "completed": self.completed,
            "finished_elsewhere": self.finished_elsewhere,
            "outstanding": self.outstanding[0] if self.outstanding else "",
            "connects": self.connects,
            "ports": self.ports,
            "retried": self.retried,
            "waits": self.waits,
            "events": self.events,
        }


async def _chaos_candidate(cand: ChaosCandidate, start: float, until: float) -> None:
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    while not cand.completed and not cand.finished_elsewhere and time.monotonic() < until:
        try:
            await cand.connect()
            await cand.converse_through(until)
        except (TimeoutError, ConnectionClosed, OSError, ConnectionError) as exc:
            kind = type(exc).__name__
            if isinstance(exc, ConnectionClosed):
                kind = f"closed {exc.rcvd.code if exc.rcvd else 'abnormally'}"
                if exc.rcvd is not None and exc.rcvd.code == 4410:
                    cand.finished_elsewhere = True
            cand.events.append((time.monotonic(), f"fault:{kind}"))
            cand.tally.faults[f"connection lost: {kind}"] += 1
            cand.abort()
            await asyncio.sleep(cand.rng.uniform(*RETRY_PAUSE))
    if not cand.completed and not cand.finished_elsewhere:
        cand.tally.error("unfinished", f"{cand.urls[0]} not completed by the deadline")
    await _quiet_close(cand)


@dataclass
class ChaosRun:
    """Candidates on their own event loop (a thread), steerable from the driver's thread."""

    plan: list[list[str]]
    timing: Timing
    ramp: float
    until: float
    seed: int = 1
    loop: asyncio.AbstractEventLoop | None = None
    candidates: list[ChaosCandidate] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)

    def run(self) -> None:
        """Blocks until every candidate completed or `until` passed."""

        async def body(tally: Tally) -> None:
            self.loop = asyncio.get_running_loop()
            rng = random.Random(self.seed)
            self.candidates = [
                ChaosCandidate(urls, self.timing, tally, random.Random(rng.random()), i)
                for i, urls in enumerate(self.plan)
            ]
            now = time.monotonic()
            await asyncio.gather(
                *(
                    _chaos_candidate(c, now + self.ramp * i / len(self.plan), self.until)
                    for i, c in enumerate(self.candidates)
                )
            )
            tally.extra["records"] = [c.record() for c in self.candidates]

        self.result = asyncio.run(_shard(body)).as_dict()

    def drop_all(self) -> int:
        """Abort every socket at once (no close handshake); returns how many were open."""
        assert self.loop is not None
        done = threading.Event()
        count = 0

        def abort() -> None:
            nonlocal count
            for cand in self.candidates:
                if cand.ws is not None and not cand.completed and cand.ws.transport is not None:
                    if not cand.ws.transport.is_closing():
                        count += 1
                    cand.abort()
            done.set()

        self.loop.call_soon_threadsafe(abort)
        done.wait(10)
        return count
