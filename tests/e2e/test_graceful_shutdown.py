"""SIGTERM to a real uvicorn: the process is gone within 10 s, every socket closed with 1001.

A deploy or a scale-down sends SIGTERM. uvicorn used to close the sockets with 1012 and then
wait without limit for each socket's application task ("Waiting for background tasks to
complete"): more than 30 s, until a second signal. Now the application closes its sockets
with 1001 (going away: the page reconnects, to another process behind the proxy), their timers
are cancelled, and uvicorn's --timeout-graceful-shutdown bounds what is left. Nothing is lost:
every acknowledged answer is in the database.
"""

import asyncio
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from interviews.fake_llm.server import FakeLLMHandle, run_fake_llm_in_thread
from interviews.models import Turn, TurnKind
from tests.e2e.stack import Proc, base_env, database_url, free_port, stack
from tests.factories import STRONG_ANSWER, make_interview

pytestmark = [pytest.mark.e2e, pytest.mark.services, pytest.mark.timeout(300)]

STOP_WITHIN = 10.0  # seconds from SIGTERM to the process's exit
FRAME_TIMEOUT = 30.0
SOCKETS = 4


@pytest.fixture
def web(
    postgres_required: None, redis_url: str, tmp_path: Path, transactional_db: None
) -> Iterator[tuple[Proc, int, FakeLLMHandle]]:
    with run_fake_llm_in_thread() as fake:
        env = base_env(
            DATABASE_URL=database_url(),
            REDIS_URL=redis_url,
            VAR_DIR=str(tmp_path / "var"),
            LLM_PROVIDERS="openai,offline",
            OPENAI_BASE_URL=f"{fake.base_url}/v1",
            OPENAI_API_KEY="test-key",
        )
        port = free_port()
        with stack(env, tmp_path) as running:
            yield running.uvicorn(port), port, fake


async def _until(ws: ClientConnection, *kinds: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT))
        if frame["type"] in kinds:
            return frame


async def _open(port: int, ws_path: str) -> ClientConnection:
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}{ws_path}",
        origin="http://127.0.0.1",  # type: ignore[arg-type]
        open_timeout=FRAME_TIMEOUT,
    )
    await ws.send(json.dumps({"type": "hello", "last_seq": 0}))
    await _until(ws, "question")
    return ws


async def _answer(ws: ClientConnection) -> str:
    """Answer and wait for the acknowledgement; the answer's client_msg_id."""
    msg_id = str(uuid.uuid4())
    await ws.send(json.dumps({"type": "answer", "text": STRONG_ANSWER, "client_msg_id": msg_id}))
    await _until(ws, "ack")
    return msg_id


async def _close_code(ws: ClientConnection) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


def test_sigterm__process_exits_within_10_s__sockets_closed_1001__answers_kept(
    web: tuple[Proc, int, FakeLLMHandle],
) -> None:
    proc, port, fake = web
    paths = [make_interview(question_count=3).ws_path for _ in range(SOCKETS)]

    async def scenario() -> tuple[list[str], list[int | None], float, int | None]:
        sockets = [await _open(port, path) for path in paths]
        acknowledged = [await _answer(ws) for ws in sockets]
        await asyncio.gather(*(_until(ws, "question", "follow_up") for ws in sockets))
        # Half the sockets are mid-turn when the signal comes: their answer is stored and
        # acknowledged, and the LLM that should write the next turn does not answer.
        await asyncio.to_thread(fake.control, mode="hang")
        acknowledged += [await _answer(ws) for ws in sockets[: SOCKETS // 2]]
        opened = list(zip(sockets, acknowledged, strict=False))
        started = time.monotonic()
        os.kill(proc.popen.pid, signal.SIGTERM)
        codes = await asyncio.gather(*(_close_code(ws) for ws, _ in opened))
        try:
            returncode = await asyncio.to_thread(proc.popen.wait, STOP_WITHIN * 3)
        except subprocess.TimeoutExpired:
            returncode = None
        return acknowledged, list(codes), time.monotonic() - started, returncode

    acknowledged, codes, took, returncode = asyncio.run(scenario())
    print(f"stopped {took:.2f} s after SIGTERM; close codes {codes}")
    log = proc.log.read_text(errors="replace")
    assert returncode is not None, f"still running {took:.1f} s after SIGTERM"
    assert took < STOP_WITHIN, f"stopped {took:.1f} s after SIGTERM"
    assert codes == [1001] * SOCKETS, codes
    stored = Turn.objects.filter(kind=TurnKind.ANSWER, client_msg_id__in=acknowledged).count()
    assert stored == len(acknowledged), "every acknowledged answer is in the database"
    assert "Exception in ASGI application" not in log
    assert "Traceback" not in log, log[-3000:]
