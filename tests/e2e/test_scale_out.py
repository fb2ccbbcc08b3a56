"""The production topology on one machine: two uvicorn processes on two ports, two Celery
workers, one beat, PostgreSQL and Redis (channel layer, broker, cache, breaker store).

Interviews whose sockets land on different processes must behave exactly as on one: events
reach the socket wherever it is, a newer socket on the other process supersedes the older one,
a reconnect that lands on the other process resumes exactly, and a breaker opened by one
process is open in every other (the Redis breaker store). The stack is the chaos scenarios'
(harness/world.py, `World`): its own PostgreSQL cluster and Redis server, stopped by pid at the
end.
"""

import asyncio
import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from harness.audit import audit, finish_candidates, wait_until
from harness.chaos_clients import ChaosRun
from harness.world import Cluster, World
from harness.ws_clients import STRONG_ANSWER, Timing
from tests.services import missing

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

ANSWER = STRONG_ANSWER  # long enough to draw no follow-up
FRAME_TIMEOUT = 30.0
TURNS = ("question", "follow_up", "completed")  # the interviewer's moves


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if shutil.which("redis-server") is None:
        missing("redis-server")
    workdir = tmp_path_factory.mktemp("scale-out")
    with (
        Cluster(workdir) as cluster,
        World(cluster, "scale-out", workdir, env={"LLM_PROVIDERS": "openai,offline"}) as w,
    ):
        # Opens after 3 consecutive failures and stays open long enough to be looked at.
        w.configure_breakers(("llm.openai",), failure_threshold=3, recovery_timeout=300.0)
        w.start()
        yield w


class Socket:
    """One candidate socket, speaking docs/protocol.md; every frame kept."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, url: str, last_seq: int = 0) -> "Socket":
        ws = await websockets.connect(url, origin="http://127.0.0.1", open_timeout=FRAME_TIMEOUT)  # type: ignore[arg-type]
        sock = cls(ws)
        await sock.send(type="hello", last_seq=last_seq)
        await sock.until("welcome")
        return sock

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def until(self, *kinds: str) -> dict[str, Any]:
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), FRAME_TIMEOUT))
            self.frames.append(frame)
            assert frame["type"] != "error" or frame["code"] == "superseded", frame
            if frame["type"] in kinds:
                return frame

    async def answer(self, msg_id: str | None = None) -> str:
        msg_id = msg_id or str(uuid.uuid4())
        await self.send(type="answer", text=ANSWER, client_msg_id=msg_id)
        return msg_id

    def persisted(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if isinstance(f.get("seq"), int)]


def _urls(world: World, path: str) -> list[str]:
    return [f"ws://127.0.0.1:{port}{path}" for port in world.topology.web_ports]


def _stored(world: World, path: str) -> list[tuple[int, str, str, str]]:
    room = path.split("/ws/interviews/", 1)[1].split("/", 1)[0]
    rows = world.sql(
        "SELECT t.seq, t.kind, coalesce(t.client_msg_id::text, ''), t.source FROM interviews_turn"
        " t JOIN interviews_interview i ON i.id = t.interview_id WHERE i.room_id = %s"
        " ORDER BY t.seq",
        room,
    )
    return [(int(a), str(b), str(c), str(d)) for a, b, c, d in rows]


def _evaluation(world: World, path: str, timeout: float = 120) -> tuple[str, int]:
    room = path.split("/ws/interviews/", 1)[1].split("/", 1)[0]
    query = (
        "SELECT e.status, e.attempts FROM interviews_evaluation e JOIN interviews_interview i"
        " ON i.id = e.interview_id WHERE i.room_id = %s"
    )
    wait_until(
        lambda: bool(world.sql(query, room)) and world.sql(query, room)[0][0] == "done",
        timeout,
        every=0.5,
    )
    rows = world.sql(query, room)
    assert len(rows) == 1, rows
    return str(rows[0][0]), int(rows[0][1])


def test_reconnect_landing_on_the_other_process__resumes_exactly_and_supersedes(
    world: World,
) -> None:
    (path,) = world.create_interviews(1, 3)
    web1, web2 = _urls(world, path)
    sockets: list[list[dict[str, Any]]] = []

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], str, int]:
        first = await Socket.open(web1)
        await first.until("question")
        await first.answer()
        await first.until("question", "follow_up")  # ack and turn came through process 1
        in_flight = await first.answer()
        assert first.ws.transport is not None
        first.ws.transport.abort()  # dropped with the answer unacknowledged
        seen = max(f["seq"] for f in first.persisted())

        second = await Socket.open(web2, last_seq=seen)  # lands on the other process
        await second.answer(in_flight)  # re-sent with the same client_msg_id
        await second.until("ack")
        await second.until(*TURNS)
        # A newer socket on process 1 supersedes the one on process 2: the group message
        # crosses processes through the channel layer.
        last = max(f["seq"] for f in second.persisted())
        third = await Socket.open(web1, last_seq=last)
        await second.until("error")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await second.until("never")
        turn = next((f for f in third.frames if f["type"] in TURNS), None)
        while (turn or await third.until(*TURNS))["type"] != "completed":
            turn = None
            await third.answer()
        await third.ws.close()
        assert closed.value.rcvd is not None
        return (
            first.persisted(),
            second.persisted() + third.persisted(),
            in_flight,
            closed.value.rcvd.code,
        )

    before, after, in_flight, close_code = asyncio.run(scenario())

    stored = _stored(world, path)
    assert [s for s, *_ in stored] == list(range(1, len(stored) + 1)), "no gap, no repeat"
    answers = [m for _, kind, m, _ in stored if kind == "answer"]
    assert answers.count(in_flight) == 1, "the re-sent answer is stored once"
    assert len(answers) == len(set(answers)) >= 3, "one per question or follow-up"
    assert stored[-1][1] == "system", "completed"
    assert close_code == 4409
    # Across the three sockets (two processes) the client saw every event, none skipped; on
    # each socket the turns come in strictly increasing order (an answer re-sent after the
    # resume is acknowledged again under its original seq: that ack may repeat).
    seen = {f["seq"] for f in before + after}
    assert seen == set(range(1, stored[-1][0] + 1))
    for frames in sockets:
        turns = [f["seq"] for f in frames if f["type"] != "ack"]
        assert turns == sorted(set(turns)), frames
    assert _evaluation(world, path) == ("done", 1)


def test_interviews_spread_over_both_processes__behave_as_on_one(
    world: World,
) -> None:
    # Ten questions at 0.5-1 s each: every candidate is still mid-interview when the sockets
    # drop at 4 s, however idle the machine (three questions could all be done by then).
    paths = world.create_interviews(6, 10)
    timing = Timing(think_min=0.5, think_max=1.0, timeout=FRAME_TIMEOUT)
    run = ChaosRun(world.plan(paths), timing, 1.0, time.monotonic() + 150)
    thread = threading.Thread(target=run.run, daemon=True)
    thread.start()
    wait_until(lambda: run.loop is not None and len(run.candidates) == 6, 30)
    time.sleep(4)
    run.drop_all()  # every candidate resumes on the other process
    result = finish_candidates(run, thread, 200)

    checked = audit(world, result)
    assert not result["errors"], result["samples"]
    assert checked["interviews completed"] == 6
    assert checked["lost (acknowledged, not stored)"] == 0
    assert checked["lost (sent, never acknowledged nor stored)"] == 0
    assert checked["duplicated (same client_msg_id twice)"] == 0
    assert checked["duplicated (two answers to one question)"] == 0
    assert checked["interviews with a seq gap"] == 0
    assert checked["client's last seq != stored last seq"] == 0
    ports = {port for r in result["extra"]["records"] for port in r["ports"]}
    assert ports == {str(p) for p in world.topology.web_ports}, "sockets on both processes"
    assert checked["resumed on another web process"] >= 1
    for path in paths:
        assert _evaluation(world, path) == ("done", 1)


def test_breaker_opened_by_one_process__is_open_in_the_other_and_in_the_workers(
    world: World,
) -> None:
    web1, web2 = world.topology.web_ports
    world.fake(mode="error500")
    try:
        (path1,) = world.create_interviews(1, 4)

        async def through_web1() -> None:
            sock = await Socket.open(_urls(world, path1)[0])
            for _ in range(3):  # each next turn fails on the LLM 3 times
                await sock.until(*TURNS)
                if world.breakers(web1).get("llm.openai", {}).get("state") == "open":
                    break
                await sock.answer()
            await sock.ws.close()

        asyncio.run(through_web1())
        assert world.breakers(web1)["llm.openai"]["state"] == "open"
        # Process 2 never called the LLM; it sees the state process 1 wrote (within 1 s).
        assert wait_until(
            lambda: world.breakers(web2).get("llm.openai", {}).get("state") == "open", 5
        )
        calls = world.fake()["by_task"]
        (path2,) = world.create_interviews(1, 2)

        async def through_web2() -> list[dict[str, Any]]:
            sock = await Socket.open(_urls(world, path2)[1])
            while (await sock.until(*TURNS))["type"] != "completed":
                await sock.answer()
            await sock.ws.close()
            return sock.persisted()

        frames = asyncio.run(through_web2())
        assert _evaluation(world, path2) == ("done", 1)  # by a worker, with the breaker open
        assert world.fake()["by_task"] == calls, "no process called the LLM while it was open"
        sources = {f["source"] for f in frames if f["type"] in ("question", "follow_up")}
        assert sources == {"offline"}
    finally:
        world.fake(mode="ok")
