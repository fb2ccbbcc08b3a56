"""The candidate WebSocket through Channels' WebsocketCommunicator (real consumer, real DB)."""

import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async

from interviews.models import Interview, InterviewStatus
from tests.factories import STRONG_ANSWER, make_interview
from tests.interviews.ws import closed_with as _closed_with
from tests.interviews.ws import connect as _connect
from tests.interviews.ws import recv as _recv
from tests.interviews.ws import until as _until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def _create(**overrides: Any) -> Any:
    return make_interview(**overrides)


async def test_full_interview__questions_acks_and_completed_with_increasing_seq() -> None:
    created = await _create(question_count=2)
    comm = await _connect(created.ws_path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    frames = await _until(comm, "question")
    assert frames[0]["type"] == "welcome"
    assert frames[0]["interview"]["total"] == 2
    assert frames[-1]["index"] == 1
    assert frames[-1]["seq"] == 1
    seqs = [1]
    for _ in range(6):
        await comm.send_json_to(
            {"type": "answer", "text": STRONG_ANSWER, "client_msg_id": str(uuid.uuid4())}
        )
        frames = await _until(comm, "question", "follow_up", "completed")
        seqs += [f["seq"] for f in frames if "seq" in f]
        if frames[-1]["type"] == "completed":
            break
    assert frames[-1]["type"] == "completed"
    assert seqs == list(range(1, len(seqs) + 1))
    await comm.disconnect()
    interview = await database_sync_to_async(Interview.objects.get)(pk=created.interview.pk)
    assert interview.status == InterviewStatus.COMPLETED


async def test_reconnect_with_last_seq__replays_exactly_the_missed_events() -> None:
    created = await _create(question_count=3)
    comm = await _connect(created.ws_path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await _until(comm, "question")
    await comm.send_json_to(
        {"type": "answer", "text": STRONG_ANSWER, "client_msg_id": str(uuid.uuid4())}
    )
    await _until(comm, "question", "follow_up")
    await comm.disconnect()

    again = await _connect(created.ws_path)
    await again.send_json_to({"type": "hello", "last_seq": 1})
    frames = await _until(again, "question", "follow_up")
    assert await again.receive_nothing(timeout=0.5), "the candidate's move: nothing more"
    persisted = [f for f in frames if "seq" in f]
    assert frames[0]["type"] == "welcome"
    assert [f["seq"] for f in persisted] == [2, 3]
    assert persisted[0]["type"] == "ack"
    assert persisted[0]["text"] == STRONG_ANSWER
    await again.disconnect()


async def test_duplicate_client_msg_id__acknowledged_twice_stored_once() -> None:
    created = await _create()
    comm = await _connect(created.ws_path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await _until(comm, "question")
    frame = {"type": "answer", "text": "short", "client_msg_id": str(uuid.uuid4())}
    await comm.send_json_to(frame)
    acks = [f for f in await _until(comm, "follow_up", "question") if f["type"] == "ack"]
    await comm.send_json_to(frame)
    again = await _until(comm, "ack")
    assert again[-1]["seq"] == acks[0]["seq"]
    count = await database_sync_to_async(
        lambda: Interview.objects.get(pk=created.interview.pk).turns.filter(kind="answer").count()
    )()
    assert count == 1
    await comm.disconnect()


async def test_bad_token__error_frame_then_close_4401() -> None:
    created = await _create()
    comm = await _connect(f"/ws/interviews/{created.interview.room_id}/?token=wrong")
    error = await _recv(comm)
    assert error == {
        "type": "error",
        "code": "invalid_token",
        "message": "This invite link is not valid.",
        "retryable": False,
    }
    assert await _closed_with(comm) == 4401


async def test_unknown_room__closes_4404() -> None:
    comm = await _connect("/ws/interviews/abcdef0123456789/?token=x")
    assert await _closed_with(comm) == 4404


async def test_finished_interview__closes_4410() -> None:
    created = await _create()
    await database_sync_to_async(Interview.objects.filter(pk=created.interview.pk).update)(
        status=InterviewStatus.COMPLETED
    )
    comm = await _connect(created.ws_path)
    assert await _closed_with(comm) == 4410


async def test_second_connection__supersedes_the_first_with_4409() -> None:
    created = await _create()
    first = await _connect(created.ws_path)
    await first.send_json_to({"type": "hello", "last_seq": 0})
    await _until(first, "question")
    second = await _connect(created.ws_path)
    assert await _closed_with(first) == 4409
    await second.send_json_to({"type": "ping"})
    assert await _recv(second) == {"type": "pong"}
    await second.disconnect()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "hello", "last_seq": -1}', "invalid_last_seq"),
        ('{"type": "answer", "text": "hi", "client_msg_id": "x"}', "hello_required"),
    ],
)
async def test_malformed_frame__clear_error_and_socket_stays_open(raw: str, code: str) -> None:
    created = await _create()
    comm = await _connect(created.ws_path)
    await comm.send_to(text_data=raw)
    error = await _recv(comm)
    assert (error["type"], error["code"]) == ("error", code)
    await comm.send_json_to({"type": "ping"})
    assert await _recv(comm) == {"type": "pong"}
    await comm.disconnect()


async def test_oversized_frame__closes_4413() -> None:
    created = await _create()
    comm = await _connect(created.ws_path)
    await comm.send_to(text_data=json.dumps({"type": "answer", "text": "x" * 70_000}))
    assert (await _recv(comm))["code"] == "frame_too_large"
    assert await _closed_with(comm) == 4413
