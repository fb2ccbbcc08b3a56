"""How long a web process takes to stop on SIGTERM, with candidates connected.

    python bench/web_shutdown.py [--runs 5] [--sockets 20] [--redis-url redis://127.0.0.1:6379/0]

Each run starts one real uvicorn (PostgreSQL, Redis, an LLM provider served by the fake LLM),
connects `--sockets` candidates, has each answer once (acknowledged), then stops the LLM from
answering and sends half of them a second answer, so those sockets' handlers wait on the LLM
when SIGTERM comes. It prints, per run, the seconds from SIGTERM to the process's exit, the
close codes the clients saw, and whether every acknowledged answer is in the database. A
throw-away database (`bench_web_shutdown`) is created and dropped; Redis keys expire.
"""

import argparse
import asyncio
import collections
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import websockets
from _ws_run import create_interviews, django_setup

from harness.stack import (
    REDIS_URL,
    Stack,
    database_url,
    drop_database,
    free_port,
    offset_interview_ids,
    recreate_database,
)

DATABASE = "bench_web_shutdown"
ANSWER = (
    "I would profile first to find the real bottleneck, then replace the nested loop with a "
    "dictionary lookup, add tests and a benchmark, and weigh memory against readability."
)
TIMEOUT = 30.0


async def _until(ws: Any, *kinds: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if frame["type"] in kinds:
            return frame


async def _answer(ws: Any) -> str:
    msg_id = str(uuid.uuid4())
    await ws.send(json.dumps({"type": "answer", "text": ANSWER, "client_msg_id": msg_id}))
    await _until(ws, "ack")
    return msg_id


async def _close_code(ws: Any) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def _one_run(port: int, pid: int, paths: list[str], fake: Any) -> dict[str, Any]:
    sockets = []
    for path in paths:
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}{path}",
            origin="http://127.0.0.1",  # type: ignore[arg-type]
            open_timeout=TIMEOUT,
        )
        await ws.send(json.dumps({"type": "hello", "last_seq": 0}))
        await _until(ws, "question")
        sockets.append(ws)
    acknowledged = [await _answer(ws) for ws in sockets]
    await asyncio.gather(*(_until(ws, "question", "follow_up") for ws in sockets))
    await asyncio.to_thread(fake.control, mode="hang")
    acknowledged += [await _answer(ws) for ws in sockets[: len(sockets) // 2]]
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    codes = await asyncio.gather(*(_close_code(ws) for ws in sockets))
    return {"acknowledged": acknowledged, "codes": codes, "started": started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sockets", type=int, default=20)
    parser.add_argument("--redis-url", default=REDIS_URL, help="the first of four Redis DBs")
    args = parser.parse_args()

    from interviews.fake_llm.server import run_fake_llm_in_thread

    recreate_database(DATABASE)
    logs = Path(tempfile.mkdtemp(prefix="bench-web-shutdown-"))
    try:
        with run_fake_llm_in_thread() as fake:
            env = {
                **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
                "DJANGO_SETTINGS_MODULE": "interviewsite.settings",
                "PYTHONUNBUFFERED": "1",
                "DATABASE_URL": database_url(DATABASE),
                "REDIS_URL": args.redis_url,
                "SECRET_KEY": "bench-only-" + secrets.token_urlsafe(32),
                "LLM_PROVIDERS": "openai,offline",
                "OPENAI_BASE_URL": f"{fake.base_url}/v1",
                "OPENAI_API_KEY": "bench",
                "LOG_LEVEL": "WARNING",
                "VAR_DIR": str(logs / "var"),
            }
            stack = Stack(env=env, logs=logs)
            stack.manage("migrate", "--noinput")
            offset_interview_ids(DATABASE)
            django_setup(env)
            from interviews.models import Turn, TurnKind

            rows = []
            for run in range(1, args.runs + 1):
                fake.control(mode="ok")
                paths = create_interviews(args.sockets, 3, seed=run)
                port = free_port()
                server = stack.uvicorn_server(port, 1, name=f"web-{run}")
                outcome = asyncio.run(_one_run(port, server.proc.pid, paths, fake))
                try:
                    server.proc.popen.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    server.proc.popen.kill()
                took = time.monotonic() - outcome["started"]
                stored = Turn.objects.filter(
                    kind=TurnKind.ANSWER, client_msg_id__in=outcome["acknowledged"]
                ).count()
                codes = collections.Counter(outcome["codes"])
                rows.append(took)
                print(
                    f"run {run}: stopped {took:.2f} s after SIGTERM; close codes "
                    f"{dict(codes)}; acknowledged answers stored "
                    f"{stored}/{len(outcome['acknowledged'])}",
                    flush=True,
                )
            print(
                f"{args.sockets} sockets ({args.sockets // 2} waiting on the LLM): stop time "
                f"median {statistics.median(rows):.2f} s, max {max(rows):.2f} s over "
                f"{len(rows)} runs"
            )
            stack.stop_all()
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(DATABASE)


if __name__ == "__main__":
    main()
