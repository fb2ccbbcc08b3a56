"""A stopping web process closes its sockets with 1001 and cancels their timers (the real
SIGTERM to a real uvicorn: tests/e2e/test_graceful_shutdown.py)."""

import asyncio
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async

from interviews import shutdown
from tests.factories import make_interview
from tests.interviews.ws import closed_with, connect, until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def running_process() -> Iterator[None]:
    yield
    shutdown._stopping.clear()  # the process "stopped" in a test goes on serving the next


async def _joined() -> Any:
    created = await database_sync_to_async(make_interview)()
    comm = await connect(created.ws_path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "question")
    return comm


async def test_drain__closes_every_socket_1001__and_cancels_their_timers() -> None:
    comms = [await _joined(), await _joined()]
    consumers = list(shutdown._live)
    assert len(consumers) == 2
    timers = [t for c in consumers for t in c.timers.values()]
    assert timers
    assert not any(t.done() for t in timers)

    await shutdown.drain(grace=1.0)

    assert [await closed_with(comm) for comm in comms] == [1001, 1001]
    assert all(t.cancelled() for t in timers)
    assert list(shutdown._live) == []


async def test_a_socket_arriving_while_the_process_stops__is_closed_1001() -> None:
    created = await database_sync_to_async(make_interview)()
    await shutdown.drain()
    comm = await connect(created.ws_path)
    assert await closed_with(comm) == 1001


async def test_a_handler_still_running_after_the_grace_period__is_cancelled_quietly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from interviews import socket_calls

    comm = await _joined()
    await until(comm, "status")
    stuck = asyncio.Event()

    async def never(*args: Any) -> Any:
        stuck.set()
        await asyncio.Event().wait()  # a database call that never returns

    monkeypatch.setattr(socket_calls, "join", never)
    await comm.send_json_to({"type": "hello", "last_seq": 1})
    await asyncio.wait_for(stuck.wait(), 10)

    await shutdown.drain(grace=0.2)

    assert await closed_with(comm) == 1001
    assert comm.future.done()
    assert comm.future.exception() is None


def test_signal_hook__hands_the_signal_on_after_draining(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    monkeypatch.setattr(shutdown, "SIGNALS", (signal.SIGUSR1,))  # not the test runner's own

    async def scenario() -> None:
        previous = signal.signal(signal.SIGUSR1, lambda sig, frame: seen.append(sig))
        try:
            shutdown.install_signal_hook()
            signal.raise_signal(signal.SIGUSR1)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.02)
        finally:
            signal.signal(signal.SIGUSR1, previous)

    asyncio.run(scenario())
    assert seen == [signal.SIGUSR1], "the server's own handler ran after the drain"
    assert shutdown.stopping()


async def test_a_send_racing_the_shutdown_close__sends_nothing_after_the_close() -> None:
    from interviews.consumers import InterviewConsumer

    consumer = InterviewConsumer()
    sent: list[dict[str, Any]] = []

    async def base_send(message: dict[str, Any]) -> None:
        if sent and sent[-1]["type"] == "websocket.close":  # as uvicorn refuses it
            raise RuntimeError(f"Unexpected ASGI message {message['type']!r} after the close")
        sent.append(message)

    consumer.base_send = base_send
    consumer.timers = {}  # as __call__ sets them
    # A handler's send is under way when the process starts stopping and closes the socket,
    # and another handler sends after the close began.
    sending = asyncio.ensure_future(consumer._send({"type": "status", "state": "thinking"}))
    await asyncio.sleep(0)
    closing = asyncio.ensure_future(consumer.going_away())
    late = asyncio.ensure_future(consumer._send({"type": "status", "state": "ok"}))
    await asyncio.gather(sending, closing, late)
    # The frame whose send had begun went before the close (base_send raises on anything
    # after it, as uvicorn does); the later one was not sent.
    assert [m["type"] for m in sent] == ["websocket.send", "websocket.close"]
    assert "thinking" in sent[0]["text"]
