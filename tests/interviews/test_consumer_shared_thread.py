"""A candidate's frames never wait on asgiref's one shared sync thread.

Channels' dispatch closed stale database connections before every message, through
`sync_to_async` on the process's single thread-sensitive thread: every frame of every socket
queued there, behind whatever else ran on it. The consumer's database work runs on its own
pool (interviews/socket_calls.py), which closes stale connections around each call.
"""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from tests.factories import make_interview
from tests.interviews.ws import connect, recv, until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_ping__answered_while_the_shared_sync_thread_is_busy() -> None:
    created = await database_sync_to_async(make_interview)()
    comm = await connect(created.ws_path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "question")
    await until(comm, "status")  # status ok: the interviewer's move is over, the socket idle
    release = threading.Event()
    busy = asyncio.create_task(sync_to_async(release.wait, thread_sensitive=True)(10))
    try:
        await asyncio.sleep(0.1)  # the shared thread is now inside release.wait
        await comm.send_json_to({"type": "ping"})
        pong = await asyncio.wait_for(recv(comm), 3)
    finally:
        release.set()
        await busy
    assert pong == {"type": "pong"}
    await comm.disconnect()
