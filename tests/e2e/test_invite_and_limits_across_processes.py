"""Two real uvicorn processes on one PostgreSQL and Redis: what one process decides about an
interview holds on the other.

- Revoking or reissuing an invite link (here from a third process, as the admin would) closes
  the sockets opened with it on every web process with 4401 within 2 s; a socket opened with
  the reissued link stays.
- The frame limit counts per interview across processes: a socket on the second process
  starts where the first one's count left off.
"""

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from channels.db import database_sync_to_async
from websockets.asyncio.client import ClientConnection

from interviews.models import Interview
from interviews.services.interviews import interview_reissue_token, interview_revoke_token
from tests.e2e.stack import base_env, database_url, free_port, stack
from tests.factories import make_interview

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.timeout(300)]

CLOSE_WITHIN = 2.0
FRAME_TIMEOUT = 30.0
LIMIT = 5


@pytest.fixture
def webs(
    postgres_required: None, redis_url: str, tmp_path: Path, transactional_db: None
) -> Iterator[tuple[int, int]]:
    env = base_env(
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        VAR_DIR=str(tmp_path / "var"),
        WS_RATE_LIMIT_MESSAGES=str(LIMIT),
        WS_RATE_LIMIT_WINDOW_SECONDS="60",
    )
    ports = free_port(), free_port()
    with stack(env, tmp_path) as running:
        for n, port in enumerate(ports, 1):
            running.uvicorn(port, name=f"web-{n}")
        yield ports


async def _open(port: int, ws_path: str) -> ClientConnection:
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}{ws_path}",
        origin="http://127.0.0.1",  # type: ignore[arg-type]
        open_timeout=FRAME_TIMEOUT,
    )
    await ws.send(json.dumps({"type": "hello", "last_seq": 0}))
    await _until(ws, "question")
    return ws


async def _until(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT))
        if frame["type"] == kind:
            return frame


async def _close_after(ws: ClientConnection, started: float) -> tuple[int | None, str, float]:
    """The close code, the error code before it, and the seconds from `started` to the close."""
    error = await _until(ws, "error")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT)
    received = closed.value.rcvd
    return (received.code if received else None), error["code"], time.monotonic() - started


@database_sync_to_async
def _revoke(interview_id: int) -> None:
    interview_revoke_token(interview=Interview.objects.get(pk=interview_id))


@database_sync_to_async
def _reissue(interview_id: int) -> str:
    return interview_reissue_token(interview=Interview.objects.get(pk=interview_id)).ws_path


def test_revoke_and_reissue__close_the_link_s_sockets_on_every_process_within_2_s(
    webs: tuple[int, int],
) -> None:
    web1, web2 = webs
    revoked, reissued = make_interview(), make_interview()

    async def scenario() -> tuple[Any, Any, str]:
        on_web1 = await _open(web1, revoked.ws_path)
        on_web2 = await _open(web2, reissued.ws_path)
        started = time.monotonic()
        await _revoke(revoked.interview.pk)
        new_path = await _reissue(reissued.interview.pk)
        closes = await asyncio.gather(
            _close_after(on_web1, started), _close_after(on_web2, started)
        )
        # The reissued link works, on either process, and keeps working.
        fresh = await _open(web1, new_path)
        await fresh.send(json.dumps({"type": "ping"}))
        pong = await _until(fresh, "pong")
        await fresh.close()
        return closes, pong, new_path

    (web1_close, web2_close), pong, _ = asyncio.run(scenario())
    assert web1_close[:2] == (4401, "revoked_token")
    assert web2_close[:2] == (4401, "revoked_token")
    assert web1_close[2] < CLOSE_WITHIN, web1_close
    assert web2_close[2] < CLOSE_WITHIN, web2_close
    assert pong == {"type": "pong"}


def test_frame_limit__counted_per_interview_across_processes(webs: tuple[int, int]) -> None:
    web1, web2 = webs
    created = make_interview()

    async def pings(port: int, count: int) -> list[str]:
        ws = await _open(port, created.ws_path)
        replies = []
        for _ in range(count):
            await ws.send(json.dumps({"type": "ping"}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT))
                if frame["type"] in ("pong", "error"):
                    break
            replies.append(frame["type"] if frame["type"] == "pong" else frame["code"])
        await ws.close()
        return replies

    async def scenario() -> tuple[list[str], list[str]]:
        # Each socket's hello counts too: LIMIT - 2 pings on the first process reach the limit.
        return await pings(web1, LIMIT - 2), await pings(web2, 2)

    first, second = asyncio.run(scenario())
    assert first == ["pong"] * (LIMIT - 2)
    assert second == ["rate_limited"] * 2, "the second process continued the first's count"
