"""A socket's database calls run on a bounded pool of threads, not on one thread for every
socket of the process: one candidate stuck on a slow commit (here, a row lock another
connection holds) does not queue every other candidate behind it."""

import threading
import time
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection, transaction

from interviews.models import Interview
from tests.factories import STRONG_ANSWER, make_interview
from tests.interviews.ws import connect, until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres_required")]

HELD_SECONDS = 8.0


@database_sync_to_async
def _create(**overrides: Any) -> Any:
    return make_interview(**overrides)


def _hold_row_lock(interview_id: int, locked: threading.Event, release: threading.Event) -> None:
    try:
        with transaction.atomic():
            Interview.objects.select_for_update().get(pk=interview_id)
            locked.set()
            release.wait(HELD_SECONDS)
    finally:
        connection.close()


async def _at_first_question(path: str) -> Any:
    comm = await connect(path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "question")
    await until(comm, "status")
    return comm


async def test_one_socket_blocked_in_the_database__another_is_answered_meanwhile() -> None:
    slow, quick = await _create(), await _create()
    slow_comm = await _at_first_question(slow.ws_path)
    quick_comm = await _at_first_question(quick.ws_path)
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(
        target=_hold_row_lock, args=(slow.interview.pk, locked, release), daemon=True
    )
    holder.start()
    assert locked.wait(10)
    try:
        answer = {"type": "answer", "text": STRONG_ANSWER}
        await slow_comm.send_json_to({**answer, "client_msg_id": str(uuid.uuid4())})
        started = time.monotonic()
        await quick_comm.send_json_to({**answer, "client_msg_id": str(uuid.uuid4())})
        frames = await until(quick_comm, "ack")
        waited = time.monotonic() - started
        assert frames[-1]["type"] == "ack"
        assert waited < HELD_SECONDS / 2, f"the other candidate waited {waited:.1f} s"
    finally:
        release.set()
        holder.join(10)
    assert (await until(slow_comm, "ack"))[-1]["type"] == "ack"  # and the slow one is stored
    await slow_comm.disconnect()
    await quick_comm.disconnect()
