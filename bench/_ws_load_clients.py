"""The client side of each bench/ws_load.py mode, one shard (event loop) at a time: steady
interviews back to back, the reconnect storm, idle sockets that only ping, and
connect/hello/disconnect cycles. Each `run_*` returns its shard's `Tally` as a dict.
"""

import asyncio
import json
import random
import time
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed

from harness.ws_clients import (
    Candidate,
    Dropped,
    Tally,
    Timing,
    quiet_close,
    record_failure,
    run_shard,
)


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
            record_failure(tally, exc)
        finally:
            await quiet_close(cand)
    tally.out_of_interviews += 1


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

    return asyncio.run(run_shard(body)).as_dict()


# --- storm: everyone drops at once and resumes -----------------------------------------------
async def _storm_candidate(
    cand: Candidate, start: float, until: float, storm: asyncio.Event, record: dict[str, Any]
) -> None:
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    try:
        await cand.open()
    except (TimeoutError, ConnectionClosed, OSError) as exc:
        record_failure(cand.tally, exc)
        return
    while True:
        try:
            await cand.converse(until, storm)
            break
        except (Dropped, ConnectionClosed, OSError, TimeoutError) as exc:
            if not cand.dropping or "resumed_at" in record:
                record_failure(cand.tally, exc)
                break
        cand.phase = "resume"
        cand.sent_at = None
        try:
            await cand.open()  # hello with the last seq seen
            record["resumed_at"] = time.monotonic()
            await cand.resend()
            cand.phase = "after"
        except (TimeoutError, ConnectionClosed, OSError) as exc:
            record_failure(cand.tally, exc)
            record["resume_failed"] = str(exc)[:200]
            break
    await quiet_close(cand)
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

    return asyncio.run(run_shard(body)).as_dict()


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
        record_failure(cand.tally, exc)
        opened(False)
        await quiet_close(cand)
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
        record_failure(cand.tally, exc)
    await quiet_close(cand)


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

    return asyncio.run(run_shard(body)).as_dict()


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
                record_failure(tally, exc)
                await quiet_close(cand)

        sample(0)
        done = 0
        while done < cycles:
            batch = min(concurrency, cycles - done)
            await asyncio.gather(*(one(cands[(done + i) % len(cands)]) for i in range(batch)))
            before, done = done, done + batch
            if done // every > before // every or done == cycles:
                sample(done)

    return asyncio.run(run_shard(body)).as_dict()
