"""WebsocketCommunicator helpers shared by the consumer tests."""

import json
from typing import Any

from channels.testing.websocket import WebsocketCommunicator

from interviewsite.asgi import application

ORIGIN = [(b"origin", b"http://127.0.0.1:8000")]
SERVER_TYPES = {
    "welcome",
    "snapshot",
    "question",
    "follow_up",
    "ack",
    "completed",
    "status",
    "pong",
    "error",
    "code_queued",
    "code_running",
    "code_result",
}
CLOSE_CODES = {4401, 4404, 4408, 4409, 4410, 4413, 4429}


async def connect(path: str, headers: list[tuple[bytes, bytes]] = ORIGIN) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await comm.connect(timeout=WAIT)
    assert connected
    return comm


WAIT = 10  # seconds: generous, so a slow shared machine never fails a test


async def recv(comm: WebsocketCommunicator) -> dict[str, Any]:
    return json.loads(await comm.receive_from(timeout=WAIT))


async def until(comm: WebsocketCommunicator, *types: str) -> list[dict[str, Any]]:
    """Frames up to and including the first one whose type is in `types`."""
    frames = [await recv(comm)]
    while frames[-1]["type"] not in types:
        frames.append(await recv(comm))
    return frames


async def closed_with(comm: WebsocketCommunicator) -> int:
    output = await comm.receive_output(timeout=WAIT)
    while output["type"] != "websocket.close":
        output = await comm.receive_output(timeout=WAIT)
    await comm.disconnect()  # let the consumer finish, or its DB connection outlives the test
    return int(output["code"])
