"""A scripted candidate using the `websockets` client against a real server."""

import json
import uuid
from typing import Any

import websockets

from tests.factories import STRONG_ANSWER

ORIGIN = "http://127.0.0.1"


async def take_interview(ws_url: str, answer: str = STRONG_ANSWER) -> list[dict[str, Any]]:
    """Answer every question and follow-up until `completed`; return every frame received."""
    frames: list[dict[str, Any]] = []
    async with websockets.connect(ws_url, origin=ORIGIN, open_timeout=10) as ws:  # type: ignore[arg-type]
        await ws.send(json.dumps({"type": "hello", "last_seq": 0}))
        while True:
            frame = json.loads(await ws.recv())
            frames.append(frame)
            if frame["type"] == "completed":
                return frames
            if frame["type"] == "error":
                raise AssertionError(f"server error frame: {frame}")
            if frame["type"] in ("question", "follow_up"):
                message = {"type": "answer", "text": answer, "client_msg_id": str(uuid.uuid4())}
                await ws.send(json.dumps(message))


def persisted(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in frames if "seq" in f]
