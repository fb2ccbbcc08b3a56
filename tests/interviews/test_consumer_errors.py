"""Input the database cannot store, and errors nobody expected: the socket answers, never drops.

A lone UTF-16 surrogate once reached psycopg, whose UnicodeEncodeError escaped the consumer:
uvicorn dropped the socket with no close code and the page, re-sending the answer after every
welcome, reconnected in a loop. Real PostgreSQL where the service is configured (the failure
was psycopg's), SQLite otherwise.
"""

import json
import logging
import uuid
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from interviews import socket_calls
from interviews.models import TurnKind
from interviews.services.effects import interview_group
from tests.factories import make_interview
from tests.interviews.ws import closed_with, connect, recv, until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def _answers(interview: Any) -> list[str]:
    return list(interview.turns.filter(kind=TurnKind.ANSWER).values_list("text", flat=True))


async def _joined(**overrides: Any) -> Any:
    created = await database_sync_to_async(make_interview)(**overrides)
    comm = await connect(created.ws_path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "question")
    await until(comm, "status")  # status ok: the interviewer's move is over
    return created, comm


def _answer(text: str) -> dict[str, str]:
    return {"type": "answer", "text": text, "client_msg_id": str(uuid.uuid4())}


@pytest.mark.parametrize(
    "text",
    [
        "surrogate \ud800 here",  # a lone high surrogate (the review's example)
        "lone low \udfff surrogate",
        "a truncated paste ends in half an emoji \ud83d",
        "pair in the wrong order \udc00\ud800",
        "NUL \x00 in the middle",
    ],
)
async def test_unstorable_text__invalid_text_error__nothing_stored__socket_stays_open(
    text: str,
) -> None:
    created, comm = await _joined()
    await comm.send_json_to(_answer(text))
    error = await recv(comm)
    assert (error["type"], error["code"], error["retryable"]) == ("error", "invalid_text", False)
    assert "cannot be saved" in error["message"]
    await comm.send_json_to({"type": "ping"})
    assert await recv(comm) == {"type": "pong"}, "the socket is still served"
    assert await _answers(created.interview) == []
    await comm.disconnect()


async def test_text_every_database_stores__is_accepted_intact() -> None:
    # Astral characters (a valid surrogate pair in the JSON), tabs, newlines and noncharacters
    # are text PostgreSQL and SQLite store: only what they cannot store is refused.
    text = "Use a dict \U0001f600 —\tO(1) lookups\r\nthen measure \uffff é 漢字"
    created, comm = await _joined()
    await comm.send_json_to(_answer(text))
    ack = (await until(comm, "ack"))[-1]
    assert ack["text"] == text
    assert await _answers(created.interview) == [text]
    await comm.disconnect()


async def _fail(*args: Any) -> Any:
    raise RuntimeError("unexpected failure for the test")


@pytest.mark.parametrize(
    ("target", "frame"),
    [
        ("submit", _answer("A fine answer.")),  # inside an answer's handler
        ("join", {"type": "hello", "last_seq": 0}),  # inside hello's
    ],
)
async def test_unexpected_error_in_a_client_frame_handler__logged_error_frame_close_1011(
    target: str,
    frame: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    created, comm = await _joined()
    monkeypatch.setattr(socket_calls, target, _fail)
    with caplog.at_level(logging.ERROR, logger="interviews.consumers"):
        await comm.send_json_to(frame)
        error = (await until(comm, "error"))[-1]
        assert (error["code"], error["retryable"]) == ("internal_error", False)
        assert await closed_with(comm) == 1011
    assert comm.future.exception() is None, "nothing escaped the consumer"
    logged = [r for r in caplog.records if r.exc_info and r.name == "interviews.consumers"]
    assert len(logged) == 1
    assert f"interview {created.interview.pk}" in logged[0].getMessage()
    assert "unexpected failure for the test" in caplog.text


@pytest.mark.parametrize(
    "error",
    [
        redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379."),
        ConnectionRefusedError(111, "Connection refused"),
    ],
)
async def test_dependency_briefly_out_of_reach__retryable_frame_close_1013(
    error: Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis restarting is not the consumer's bug: the page is told to come back (and re-send),
    not that something went wrong. (A database error inside a frame handler keeps the socket
    open with a retryable frame: see the answer tests.)"""

    async def unreachable(*args: Any) -> Any:
        raise error

    _, comm = await _joined()
    monkeypatch.setattr(socket_calls, "join", unreachable)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    frame = (await until(comm, "error"))[-1]
    assert (frame["code"], frame["retryable"]) == ("service_unavailable", True)
    assert await closed_with(comm) == 1013
    assert comm.future.exception() is None


async def test_unexpected_error_in_a_channel_layer_handler__error_frame_close_1011(
    caplog: pytest.LogCaptureFixture,
) -> None:
    created, comm = await _joined()
    layer = get_channel_layer()
    assert layer is not None
    # A group message without its event (a bug elsewhere) must not kill the socket silently.
    with caplog.at_level(logging.ERROR, logger="interviews.consumers"):
        await layer.group_send(interview_group(created.interview.pk), {"type": "interview.event"})
        error = (await until(comm, "error"))[-1]
        assert (error["code"], error["retryable"]) == ("internal_error", False)
        assert await closed_with(comm) == 1011
    assert comm.future.exception() is None
    assert f"interview {created.interview.pk}" in caplog.text


async def test_error_frames__are_plain_json_whatever_the_client_sent() -> None:
    # The unknown-type error echoes part of the client's type: a surrogate there must not turn
    # the reply into something the client cannot decode.
    _, comm = await _joined()
    await comm.send_to(text_data=json.dumps({"type": "x\ud800"}))
    error = await recv(comm)
    assert error["code"] == "unknown_type"
    await comm.disconnect()
