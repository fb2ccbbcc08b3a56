"""A client that goes away while its turn is being answered is not a server error.

A candidate closing the tab right after the last answer (or `bench/ws_load.py`'s candidates,
which close on `completed`) makes uvicorn raise ClientDisconnected, an OSError as the ASGI
spec asks, from the next send. The consumer logged it as an unexpected ERROR with a
traceback and tried to close a socket that was gone. The answer is stored either way; the
page resumes from the transcript.
"""

import asyncio
import logging
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from uvicorn.protocols.utils import ClientDisconnected

from interviews.models import TurnKind
from interviewsite.asgi import application
from tests.factories import make_interview
from tests.interviews.ws import ORIGIN, WAIT, until

pytestmark = pytest.mark.django_db(transaction=True)


class ClientGoes:
    """The ASGI server side: once `gone`, every send raises as uvicorn's does."""

    def __init__(self) -> None:
        self.gone = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def server_send(message: Any) -> None:
            if self.gone:
                raise ClientDisconnected()
            await send(message)

        await application(scope, receive, server_send)


@database_sync_to_async
def _answers(interview: Any) -> list[str]:
    return list(interview.turns.filter(kind=TurnKind.ANSWER).values_list("text", flat=True))


async def test_client_gone_mid_turn__answer_stored__no_error_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    created = await database_sync_to_async(make_interview)()
    server = ClientGoes()
    comm = WebsocketCommunicator(server, created.ws_path, headers=ORIGIN)
    assert (await comm.connect(timeout=WAIT))[0]
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "status")  # question 1 asked
    server.gone = True
    caplog.set_level(logging.WARNING, logger="interviews.consumers")

    text = "I would profile first, then fix the algorithm."
    await comm.send_json_to({"type": "answer", "text": text, "client_msg_id": str(uuid.uuid4())})
    await comm.send_input({"type": "websocket.disconnect", "code": 1001})
    await comm.wait(timeout=WAIT)  # the consumer ended by itself

    assert await _answers(created.interview) == [text]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_client_that_stops_reading__dropped_after_ws_send_timeout(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from channels.exceptions import StopConsumer

    from interviews.consumers import InterviewConsumer

    settings.WS_SEND_TIMEOUT = 0.2
    consumer = InterviewConsumer()
    consumer.timers = {}  # as __call__ sets them
    consumer.interview_id = 7
    stuck = asyncio.Event()
    closes: list[int] = []

    async def base_send(message: dict[str, Any]) -> None:
        await stuck.wait()  # a full send buffer that never drains (uvicorn's writable)

    async def disconnect(code: int) -> None:
        closes.append(code)

    consumer.base_send = base_send
    consumer.disconnect = disconnect  # type: ignore[method-assign]
    started = asyncio.get_running_loop().time()
    with caplog.at_level(logging.WARNING), pytest.raises(StopConsumer):
        await consumer._send({"type": "status", "state": "ok"})
    waited = asyncio.get_running_loop().time() - started
    assert 0.2 <= waited < 2
    assert closes == [1011]
    assert "send timed out on interview 7" in caplog.text
    # The task itself was not left cancelled: the consumer's loop can end cleanly.
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
