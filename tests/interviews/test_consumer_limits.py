"""Keepalive, limits, snapshot and timing on the candidate socket."""

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer
from django.conf import settings
from django.utils import timezone

from interviews import consumers
from interviews.models import Interview, InterviewStatus, TurnKind
from tests.factories import STRONG_ANSWER, make_interview
from tests.interviews.ws import closed_with, connect, recv, until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def _create(**overrides: Any) -> Any:
    return make_interview(**overrides)


async def _joined(**overrides: Any) -> Any:
    created = await _create(**overrides)
    comm = await connect(created.ws_path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "question")
    return created, comm


async def test_silent_socket__closed_4408_after_the_idle_timeout(settings: Any) -> None:
    settings.WS_IDLE_TIMEOUT = 1
    _, comm = await _joined()
    await until(comm, "status")
    error = await recv(comm)
    assert (error["type"], error["code"]) == ("error", "idle_timeout")
    assert await closed_with(comm) == 4408


async def test_pings__keep_the_socket_open_past_the_idle_timeout(settings: Any) -> None:
    settings.WS_IDLE_TIMEOUT = 1
    _, comm = await _joined()
    await until(comm, "status")
    for _ in range(4):  # 2 s of activity: twice the idle timeout
        await comm.send_json_to({"type": "ping"})
        assert await recv(comm) == {"type": "pong"}
        assert await comm.receive_nothing(timeout=0.5)
    await comm.send_json_to({"type": "ping"})
    assert await recv(comm) == {"type": "pong"}
    await comm.disconnect()


async def test_flood__error_frames_then_close_4429(settings: Any) -> None:
    settings.WS_RATE_LIMIT_MESSAGES = 5
    settings.WS_RATE_LIMIT_WINDOW_SECONDS = 60
    created = await _create()
    comm = await connect(created.ws_path)
    for _ in range(5):
        await comm.send_json_to({"type": "ping"})
        assert await recv(comm) == {"type": "pong"}
    await comm.send_json_to({"type": "ping"})
    limited = await recv(comm)
    assert (limited["code"], limited["retryable"]) == ("rate_limited", True)
    for _ in range(4):
        await comm.send_json_to({"type": "ping"})
        assert (await recv(comm))["code"] == "rate_limited"
    await comm.send_json_to({"type": "ping"})
    assert (await recv(comm))["code"] == "rate_limited"  # the closing error frame
    assert await closed_with(comm) == 4429


async def test_far_behind_client__gets_one_snapshot_instead_of_a_replay(settings: Any) -> None:
    settings.WS_REPLAY_CAP = 2
    created, comm = await _joined(question_count=3)
    for _ in range(2):
        await comm.send_json_to(
            {"type": "answer", "text": STRONG_ANSWER, "client_msg_id": str(uuid.uuid4())}
        )
        await until(comm, "question", "follow_up", "completed")
    await comm.disconnect()
    interview = await database_sync_to_async(Interview.objects.get)(pk=created.interview.pk)

    again = await connect(created.ws_path)
    await again.send_json_to({"type": "hello", "last_seq": 1})
    welcome, snapshot = await recv(again), await recv(again)
    assert welcome["type"] == "welcome"
    assert snapshot["type"] == "snapshot"
    assert [e["seq"] for e in snapshot["events"]] == list(range(1, interview.last_seq + 1))
    assert snapshot["pending"]["seq"] == interview.last_seq
    assert snapshot["interview"]["last_seq"] == interview.last_seq
    await again.disconnect()


async def test_client_ahead_of_the_server__gets_a_snapshot() -> None:
    created, comm = await _joined()
    await comm.disconnect()
    again = await connect(created.ws_path)
    await again.send_json_to({"type": "hello", "last_seq": 99})
    await recv(again)
    snapshot = await recv(again)
    assert snapshot["type"] == "snapshot"
    assert [e["seq"] for e in snapshot["events"]] == [1]
    await again.disconnect()


async def test_time_limit__reached_while_idle_completes_the_interview() -> None:
    created = await _create(time_limit_seconds=60)
    comm = await connect(created.ws_path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "question")
    await comm.disconnect()
    # The candidate has used up the time and its grace period.
    over = 61 + settings.INTERVIEW_TIME_GRACE_SECONDS
    await database_sync_to_async(Interview.objects.filter(pk=created.interview.pk).update)(
        started_at=timezone.now() - timedelta(seconds=over)
    )
    again = await connect(created.ws_path)
    await again.send_json_to({"type": "hello", "last_seq": 1})
    frames = await until(again, "completed")
    assert frames[0]["interview"]["time_remaining"] == 0
    assert frames[-1]["seq"] == 2
    interview = await database_sync_to_async(Interview.objects.get)(pk=created.interview.pk)
    assert interview.status == InterviewStatus.COMPLETED
    await again.disconnect()


async def test_remaining_time__survives_a_reconnect() -> None:
    created = await _create(time_limit_seconds=600)
    comm = await connect(created.ws_path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    first = (await until(comm, "welcome"))[-1]["interview"]["time_remaining"]
    await until(comm, "question")
    await comm.disconnect()
    await database_sync_to_async(Interview.objects.filter(pk=created.interview.pk).update)(
        started_at=timezone.now() - timedelta(seconds=120)
    )
    again = await connect(created.ws_path)
    await again.send_json_to({"type": "hello", "last_seq": 1})
    later = (await until(again, "welcome"))[-1]["interview"]["time_remaining"]
    assert first == 600
    assert 470 <= later <= 480
    await again.disconnect()


async def test_foreign_origin__refused_at_the_handshake() -> None:
    created = await _create()
    from channels.testing.websocket import WebsocketCommunicator

    from interviewsite.asgi import application

    comm = WebsocketCommunicator(
        application, created.ws_path, headers=[(b"origin", b"http://evil.example")]
    )
    connected, _ = await comm.connect()
    assert not connected
    await comm.disconnect()  # let the refusing consumer finish inside the test


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "hello", "last_seq": 2**40}, "invalid_last_seq"),
        ({"type": "hello", "last_seq": True}, "invalid_last_seq"),
        ({"type": "hello", "last_seq": "3"}, "invalid_last_seq"),
        ({"type": "answer", "text": 5, "client_msg_id": str(uuid.uuid4())}, "invalid_answer"),
        ({"type": "answer", "text": "hi", "client_msg_id": {"a": 1}}, "invalid_client_msg_id"),
        (
            {"type": "answer", "text": "a\x00b", "client_msg_id": str(uuid.uuid4())},
            "invalid_text",
        ),
        (
            {"type": "answer", "text": "x" * 8001, "client_msg_id": str(uuid.uuid4())},
            "answer_too_long",
        ),
        ({"type": "answer", "text": " ", "client_msg_id": str(uuid.uuid4())}, "empty_answer"),
    ],
)
async def test_bad_field__clear_error_and_nothing_stored(frame: dict[str, Any], code: str) -> None:
    created, comm = await _joined()
    await until(comm, "status")
    await comm.send_json_to(frame)
    error = await recv(comm)
    assert (error["type"], error["code"]) == ("error", code)
    answers = await database_sync_to_async(
        lambda: created.interview.turns.filter(kind=TurnKind.ANSWER).count()
    )()
    assert answers == 0
    await comm.disconnect()


async def test_binary_frame__is_parsed_like_text() -> None:
    created = await _create()
    comm = await connect(created.ws_path)
    await comm.send_to(bytes_data=json.dumps({"type": "ping"}).encode())
    assert await recv(comm) == {"type": "pong"}
    await comm.send_to(bytes_data=b"\xff\xfe")
    assert (await recv(comm))["code"] == "invalid_json"
    await comm.disconnect()


@pytest.mark.services
async def test_redis_layer__a_socket_idle_longer_than_a_redis_read_timeout_survives(
    redis_url: str,
) -> None:
    # redis-py 8 cut channels-redis's blocking read after 5 s and killed every quiet socket.
    _, comm = await _joined()
    await until(comm, "status")
    assert await comm.receive_nothing(timeout=7, interval=0.5)
    await comm.send_json_to({"type": "ping"})
    assert await recv(comm) == {"type": "pong"}
    await comm.disconnect()


@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/interviews/NOT-HEX/", "/", "/ws/interviews/"])
async def test_unknown_path__error_frame_then_close_4404(path: str) -> None:
    comm = await connect(path)
    frame = await recv(comm)
    assert (frame["type"], frame["code"], frame["retryable"]) == ("error", "unknown_path", False)
    assert await closed_with(comm) == 4404


async def test_timer__a_full_channel_layer_delays_the_wake_up_but_never_loses_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Every socket of a process shares one inbox; in a burst it can be full when an idle or
    # deadline timer fires. The timer must try again, not die with the message.
    monkeypatch.setattr(consumers, "WAKE_RETRY_SECONDS", 0.05)
    layer = InMemoryChannelLayer(capacity=1)
    consumer = consumers.InterviewConsumer()
    consumer.channel_layer = layer
    consumer.channel_name = await layer.new_channel()
    consumer.timers = {}
    await layer.send(consumer.channel_name, {"type": "interview.event"})  # the inbox is full

    consumer._wake_after("idle", 0, "interview.idle_check")
    await until_logged(caplog, "channel layer full; interview.idle_check for idle retried")
    assert await layer.receive(consumer.channel_name) == {"type": "interview.event"}

    woken = await asyncio.wait_for(layer.receive(consumer.channel_name), 5)
    assert woken == {"type": "interview.idle_check"}
    await asyncio.wait_for(consumer.timers["idle"], 5)  # ended by sending, not by an error


async def until_logged(caplog: pytest.LogCaptureFixture, text: str) -> None:
    for _ in range(200):
        if text in caplog.text:
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"never logged: {text}")
