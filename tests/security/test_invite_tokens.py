"""Invite tokens: a token opens its own interview and nothing else, never once expired,
revoked, replaced or finished; and no other site opens the socket."""

import json
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone

from interviews.models import Interview
from interviews.services.interviews import (
    CreatedInterview,
    interview_reissue_token,
    interview_revoke_token,
)
from tests.factories import make_interview
from tests.interviews.ws import WAIT
from tests.security.helpers import communicator, fresh_address


def _expire(created: CreatedInterview) -> None:
    Interview.objects.filter(pk=created.interview.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )


def _revoke(created: CreatedInterview) -> None:
    interview_revoke_token(interview=created.interview)


def _reissue(created: CreatedInterview) -> None:
    interview_reissue_token(interview=created.interview)  # the old token stops working


def _finish(created: CreatedInterview) -> None:
    Interview.objects.filter(pk=created.interview.pk).update(status="completed")


# state of the link: (what to do to it, invite page status, WebSocket close code or None = open)
TOKEN_MATRIX = {
    "valid": (None, 200, None),
    "expired": (_expire, 410, 4401),
    "revoked": (_revoke, 410, 4401),
    "replaced_by_a_new_link": (_reissue, 404, 4401),
    "interview_finished": (_finish, 410, 4410),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("state", TOKEN_MATRIX)
async def test_token_matrix__invite_page_and_websocket(state: str) -> None:
    change, page_status, close_code = TOKEN_MATRIX[state]
    created = await database_sync_to_async(make_interview)()
    if change is not None:
        await database_sync_to_async(change)(created)

    page = await database_sync_to_async(Client(REMOTE_ADDR=fresh_address()).get)(
        created.invite_path
    )
    comm = communicator(created.ws_path, client_address=fresh_address())
    await comm.connect()
    await comm.send_json_to({"type": "hello", "last_seq": 0})
    first = json.loads(await comm.receive_from(timeout=WAIT))
    code = await _close_code(comm) if close_code is not None else None
    await comm.disconnect()

    assert page.status_code == page_status
    assert code == close_code
    assert first["type"] == ("welcome" if close_code is None else "error")


@pytest.mark.django_db(transaction=True)
async def test_token_of_one_interview__never_opens_another() -> None:
    mine, theirs = [await database_sync_to_async(make_interview)() for _ in range(2)]
    path = f"/ws/interviews/{theirs.interview.room_id}/?token={mine.token}"

    comm = communicator(path, client_address=fresh_address())
    await comm.connect()
    error = json.loads(await comm.receive_from(timeout=WAIT))
    page = await database_sync_to_async(Client(REMOTE_ADDR=fresh_address()).get)(mine.invite_path)

    assert (error["code"], await _close_code(comm)) == ("invalid_token", 4401)
    body = page.content.decode()
    assert mine.interview.room_id in body
    assert theirs.interview.room_id not in body


@pytest.mark.django_db(transaction=True)
async def test_websocket_from_another_site__refused_before_any_token_check() -> None:
    created = await database_sync_to_async(make_interview)()
    comm = communicator(
        created.ws_path,
        client_address=fresh_address(),
        headers=[(b"origin", b"https://evil.example")],
    )

    connected, _ = await comm.connect()

    assert not connected
    await comm.disconnect()


async def _close_code(comm: Any) -> int:
    output = await comm.receive_output(timeout=WAIT)
    while output["type"] != "websocket.close":
        output = await comm.receive_output(timeout=WAIT)
    return int(output["code"])
