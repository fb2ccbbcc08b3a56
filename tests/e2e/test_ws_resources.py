"""Sockets that come and go must not leave Redis connections behind: a real uvicorn on Redis.

A CI-sized version of `bench/ws_load.py --mode cycles`: connect, hello, ping/pong (the server
has finished handling hello), disconnect, 200 times. Redis client connections afterwards must be
within a small constant of the count before. No timing is asserted.
"""

import asyncio
import json
import os
import secrets
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
import websockets
from django.db import connection

from tests.e2e.client import ORIGIN
from tests.e2e.stack import base_env, database_url, free_port, stack
from tests.factories import make_interview

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

CYCLES = 200
SLACK = 10  # other clients of a shared Redis may come and go meanwhile
# Ports outside the kernel's ephemeral range, so none of the test's many outgoing connections
# can take the server's port between choosing it and binding it.
PORTS = range(18400, 18500)


def _port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


def _server_redis_sockets(pid: int) -> int:
    """Established TCP connections from process `pid` to port 6379."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                cols = line.split()
                remote_port = int(cols[2].rsplit(":", 1)[1], 16)
                if cols[3] == "01" and remote_port == 6379 and int(cols[9]) in inodes:
                    count += 1
    return count


def _settle(read: Callable[[], int], limit: int, seconds: float = 15) -> int:
    """The value once it is at most `limit`, or the last one read after `seconds`."""
    deadline = time.monotonic() + seconds
    value = read()
    while value > limit and time.monotonic() < deadline:
        time.sleep(0.5)
        value = read()
    return value


async def _cycle(ws_url: str, last_seq: int) -> int:
    async with websockets.connect(ws_url, origin=ORIGIN, open_timeout=10) as ws:  # type: ignore[arg-type]
        await ws.send(json.dumps({"type": "hello", "last_seq": last_seq}))
        await ws.send(json.dumps({"type": "ping"}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert frame["type"] != "error", frame
            last_seq = max(last_seq, frame.get("seq", 0))
            if frame["type"] == "pong":  # frames are handled in order: hello is done
                return last_seq


async def _cycles(ws_urls: list[str], count: int) -> None:
    seqs = dict.fromkeys(ws_urls, 0)
    for n in range(count):
        url = ws_urls[n % len(ws_urls)]
        seqs[url] = await _cycle(url, seqs[url])


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_connect_hello_disconnect_cycles_leave_redis_connections_flat(
    postgres_required: None, redis_url: str, tmp_path: Path
) -> None:
    # Channel-layer groups are named after interview ids and the channel layer's Redis DB is
    # shared: start this test's ids far from anyone else's.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('interviews_interview', 'id'), %s)",
            [10**9 + secrets.randbelow(10**12)],
        )
    created = [make_interview(question_count=3) for _ in range(5)]
    env = base_env(
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        VAR_DIR=str(tmp_path / "var"),
        LOG_LEVEL="WARNING",
        # Hundreds of hellos per interview within seconds: the frame limit, counted per
        # interview across its sockets, is not what this test measures.
        WS_RATE_LIMIT_MESSAGES="100000",
    )
    port = _port()
    ws_urls = [f"ws://127.0.0.1:{port}{c.ws_path}" for c in created]
    server = redis.Redis.from_url(redis_url)

    def connected_clients() -> int:
        info: dict[str, Any] = server.info("clients")  # type: ignore[assignment]
        return int(info["connected_clients"])

    with stack(env, tmp_path) as running:
        web = running.uvicorn(port)  # one worker: the uvicorn process is the server
        asyncio.run(_cycles(ws_urls, 20))  # warm-up: connections to PostgreSQL and Redis
        before = connected_clients()
        own_before = _server_redis_sockets(web.popen.pid)

        asyncio.run(_cycles(ws_urls, CYCLES))

        after = _settle(connected_clients, before + SLACK)
        own_after = _settle(lambda: _server_redis_sockets(web.popen.pid), own_before + 2)
    server.close()
    assert after <= before + SLACK, f"Redis clients {before} before, {after} after {CYCLES} cycles"
    assert own_after <= own_before + 2, (
        f"uvicorn held {own_before} Redis connections before, {own_after} after {CYCLES} cycles"
    )
