"""Revoking or reissuing an invite link closes the sockets opened with it (4401), at once.

Before, a revoked link's open socket kept working: answers were acknowledged and followed up.
Across real web processes: tests/e2e/test_invite_and_limits_across_processes.py.
"""

import contextlib
import time
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from interviews.models import Interview, TurnKind
from interviews.services.interviews import (
    CreatedInterview,
    interview_reissue_token,
    interview_revoke_token,
)
from tests.factories import STRONG_ANSWER, make_interview
from tests.interviews.ws import closed_with, connect, until

pytestmark = pytest.mark.django_db(transaction=True)

CLOSE_WITHIN = 2.0  # seconds, from the revoke's commit to the close frame


async def _joined(path: str) -> Any:
    comm = await connect(path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "question")  # asked on the first join, replayed on later ones
    return comm


async def _closed_4401_within(comm: Any, started: float, code: str) -> None:
    error = (await until(comm, "error"))[-1]
    assert (error["code"], error["retryable"]) == (code, False)
    assert await closed_with(comm) == 4401
    assert time.monotonic() - started < CLOSE_WITHIN


@database_sync_to_async
def _revoke(interview_id: int) -> None:
    interview_revoke_token(interview=Interview.objects.get(pk=interview_id))


@database_sync_to_async
def _reissue(interview_id: int) -> CreatedInterview:
    return interview_reissue_token(interview=Interview.objects.get(pk=interview_id))


async def test_revoke__closes_the_open_socket_4401__and_its_answers_stop() -> None:
    created = await database_sync_to_async(make_interview)()
    comm = await _joined(created.ws_path)
    started = time.monotonic()
    await _revoke(created.interview.pk)
    await _closed_4401_within(comm, started, "revoked_token")
    answers = await database_sync_to_async(
        lambda: created.interview.turns.filter(kind=TurnKind.ANSWER).count()
    )()
    assert answers == 0


async def test_reissue__closes_sockets_of_the_old_link__a_socket_of_the_new_one_stays() -> None:
    created = await database_sync_to_async(make_interview)()
    old = await _joined(created.ws_path)
    started = time.monotonic()
    fresh = await _reissue(created.interview.pk)
    await _closed_4401_within(old, started, "revoked_token")

    new = await _joined(fresh.ws_path)
    await _reissue_message_again(created.interview.pk)  # a later change re-checks every socket
    await new.send_json_to(
        {"type": "answer", "text": STRONG_ANSWER, "client_msg_id": str(uuid.uuid4())}
    )
    assert (await until(new, "ack"))[-1]["type"] == "ack", "the new link's socket still works"
    await new.disconnect()


@database_sync_to_async
def _reissue_message_again(interview_id: int) -> None:
    # The change notice alone, as a concurrent admin action on another field would send it.
    from interviews.services.effects import invite_changed_on_commit

    invite_changed_on_commit(interview_id)


async def test_revoke_rolled_back__announces_nothing__the_socket_stays() -> None:
    created = await database_sync_to_async(make_interview)()
    comm = await _joined(created.ws_path)
    await until(comm, "status")

    @database_sync_to_async
    def revoke_then_roll_back() -> None:
        with contextlib.suppress(RuntimeError), transaction.atomic():
            interview_revoke_token(interview=Interview.objects.get(pk=created.interview.pk))
            raise RuntimeError("the admin action failed after the revoke")

    await revoke_then_roll_back()
    assert await comm.receive_nothing(timeout=1.0), "no close for a revoke that never happened"
    await comm.send_json_to({"type": "ping"})
    assert (await until(comm, "pong"))[-1] == {"type": "pong"}
    await comm.disconnect()
