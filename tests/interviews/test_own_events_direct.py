"""A socket's own events go straight to it: the turns its calls store are sent to its client
directly, and the channel layer carries only what another socket must be told. A socket that
takes over from one still storing a turn gets that turn all the same."""

import asyncio
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from interviews import socket_calls
from tests.factories import STRONG_ANSWER, make_interview
from tests.interviews.ws import closed_with, connect, until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def _create(**overrides: Any) -> Any:
    return make_interview(**overrides)


async def _at_first_question(path: str) -> Any:
    comm = await connect(path)
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    await until(comm, "question")
    await until(comm, "status")
    return comm


def _answer() -> dict[str, Any]:
    return {"type": "answer", "text": STRONG_ANSWER, "client_msg_id": str(uuid.uuid4())}


async def test_answers__acked_and_replied_without_a_group_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created = await _create(question_count=4)
    comm = await _at_first_question(created.ws_path)
    layer = get_channel_layer()
    sent: list[dict[str, Any]] = []
    group_send = layer.group_send

    async def counting(group: str, message: dict[str, Any]) -> None:
        sent.append(message)
        await group_send(group, message)

    monkeypatch.setattr(layer, "group_send", counting)
    seqs = []
    for _ in range(3):
        await comm.send_json_to(_answer())
        frames = await until(comm, "question", "follow_up")
        seqs += [f["seq"] for f in frames if "seq" in f]
    await comm.disconnect()
    assert seqs == list(range(2, 8))  # every turn, in order, each once
    assert [m["type"] for m in sent] == []


async def test_takeover_while_the_old_socket_stores_a_turn__the_new_one_gets_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created = await _create(question_count=4)
    old = await _at_first_question(created.ws_path)
    storing, go_on = asyncio.Event(), asyncio.Event()
    submit = socket_calls.submit

    async def slow_submit(*args: Any) -> Any:
        storing.set()
        await go_on.wait()  # the new socket joins and reads the transcript meanwhile
        return await submit(*args)

    monkeypatch.setattr(socket_calls, "submit", slow_submit)
    await old.send_json_to(_answer())
    await asyncio.wait_for(storing.wait(), 10)
    new = await connect(created.ws_path)
    await new.send_json_to({"type": "hello", "last_seq": 1})
    await until(new, "welcome")
    assert (await until(new, "question"))[-1]["seq"] == 1  # the pending question, shown again
    monkeypatch.setattr(socket_calls, "submit", submit)
    go_on.set()  # the old socket's answer and reply are stored now, after the new one's join
    assert await closed_with(old) == 4409
    frames = await until(new, "question", "follow_up")
    assert [f["seq"] for f in frames if "seq" in f] == [2, 3]
    await new.disconnect()
