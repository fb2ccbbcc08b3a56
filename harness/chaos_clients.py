"""Candidates that ride out any fault, for bench/chaos.py, tests/chaos/ and
tests/e2e/test_scale_out.py: `ChaosCandidate` behaves as docs/protocol.md asks a client to under
faults, and `ChaosRun` drives them on an event loop of their own, steerable from another thread.

Scale-out: each candidate gets one URL per web process and connects to the next one on every
(re)connect, so sockets are spread over the processes and every resume lands on another one.
"""

import asyncio
import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed

from harness.ws_clients import TURNS, Candidate, Frame, Tally, Timing, quiet_close, run_shard

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
    await quiet_close(cand)


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

        self.result = asyncio.run(run_shard(body)).as_dict()

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
