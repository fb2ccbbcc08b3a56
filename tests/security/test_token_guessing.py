"""Guessing invite tokens is limited per client address, in the shared cache, and logged
without the token, on the invite page and on the WebSocket alike."""

import json
import logging
import secrets
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from interviews.models import Interview
from interviews.services import guessing
from interviews.services.interviews import interview_revoke_token
from interviews.services.tokens import InviteProblem, InviteRejected
from tests.e2e.stack import free_port, stack
from tests.factories import make_interview
from tests.interviews.redis_round_trips import redis_round_trips
from tests.interviews.ws import WAIT
from tests.monitoring.helpers import services_env
from tests.security.helpers import communicator, fresh_address

LIMIT = 5


@pytest.fixture(autouse=True)
def low_limit(settings: Any) -> None:
    settings.TOKEN_FAILURES_PER_MINUTE = LIMIT


def _bad_path() -> str:
    return f"/i/{secrets.token_urlsafe(32)}/"


@pytest.mark.django_db
def test_invite_page__over_the_limit_429_envelope_even_for_a_valid_link(client: Client) -> None:
    created = make_interview()
    address = fresh_address()
    for _ in range(LIMIT):
        assert client.get(_bad_path(), REMOTE_ADDR=address).status_code == 404

    refused = client.get(created.invite_path, REMOTE_ADDR=address, HTTP_ACCEPT="application/json")

    assert refused.status_code == 429
    error = refused.json()["error"]
    assert (error["code"], error["retryable"]) == ("rate_limited", True)
    assert set(error) == {"code", "message", "retryable", "error_id", "request_id"}
    assert 1 <= int(refused["Retry-After"]) <= 60
    page = client.get(created.invite_path, REMOTE_ADDR=address)
    assert page.status_code == 429
    assert "text/html" in page["Content-Type"]
    assert "Too many invalid invite links" in page.content.decode()
    assert client.get(created.invite_path, REMOTE_ADDR=fresh_address()).status_code == 200


@pytest.mark.django_db
def test_invite_page__each_failure_logged_at_warning_without_the_token(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    address = fresh_address()
    paths = [_bad_path() for _ in range(LIMIT + 2)]
    with caplog.at_level(logging.WARNING, logger="interviews.services.guessing"):
        statuses = [client.get(path, REMOTE_ADDR=address).status_code for path in paths]

    records = [r for r in caplog.records if r.name == "interviews.services.guessing"]
    assert statuses == [404] * LIMIT + [429, 429]
    assert [r.levelno for r in records] == [logging.WARNING] * (LIMIT + 2)
    assert [r.failures for r in records[:LIMIT]] == list(range(1, LIMIT + 1))  # type: ignore[attr-defined]
    assert all(r.client == address for r in records)  # type: ignore[attr-defined]
    logged = "\n".join(r.getMessage() for r in records)
    assert address in logged
    assert not any(path.split("/")[2] in logged for path in paths)


@pytest.mark.django_db
def test_real_links__expired_revoked_or_finished_never_count_as_guesses(client: Client) -> None:
    expired, revoked, finished, fresh = (make_interview() for _ in range(4))
    Interview.objects.filter(pk=expired.interview.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    interview_revoke_token(interview=revoked.interview)
    Interview.objects.filter(pk=finished.interview.pk).update(status="completed")
    address = fresh_address()

    statuses = [
        client.get(link.invite_path, REMOTE_ADDR=address).status_code
        for link in (expired, revoked, finished) * LIMIT
    ]

    assert set(statuses) == {410}
    assert client.get(fresh.invite_path, REMOTE_ADDR=address).status_code == 200


@pytest.mark.django_db
def test_window__a_blocked_address_is_admitted_again_the_next_minute() -> None:
    created = make_interview()
    address = fresh_address()
    now = 60.0 * 31_666_666  # the start of a window: the whole test stays inside it
    for n in range(LIMIT):
        with pytest.raises(InviteRejected):
            guessing.invite_open(token=f"guess-{n}", client_address=address, clock=lambda: now)
    with pytest.raises(guessing.TooManyTokenFailures) as blocked:
        guessing.invite_open(token=created.token, client_address=address, clock=lambda: now)
    assert blocked.value.retry_after == 60

    next_minute = guessing.invite_open(
        token=created.token, client_address=address, clock=lambda: now + 60
    )

    assert next_minute.pk == created.interview.pk


@pytest.mark.django_db
def test_counts__expire_from_redis_with_their_window(client: Client, redis_url: str) -> None:
    address = fresh_address()
    client.get(_bad_path(), REMOTE_ADDR=address)

    redis = cache._cache.get_client(write=False)  # type: ignore[attr-defined]
    keys = redis.keys(f"*{guessing.KEY_PREFIX}:{address}:*")

    assert len(keys) == 1
    assert 0 < redis.ttl(keys[0]) <= 2 * guessing.WINDOW_SECONDS
    assert int(redis.get(keys[0])) == 1


@pytest.mark.django_db
def test_ipv6_clients__count_per_64_prefix(client: Client) -> None:
    created = make_interview()
    prefix = f"2001:db8:{secrets.randbelow(0xFFFF):x}:{secrets.randbelow(0xFFFF):x}"
    for n in range(LIMIT):
        client.get(_bad_path(), REMOTE_ADDR=f"{prefix}::{n + 1:x}")

    assert client.get(created.invite_path, REMOTE_ADDR=f"{prefix}::ffff").status_code == 429
    other = f"2001:db8:{secrets.randbelow(0xFFFF):x}::1"
    assert client.get(created.invite_path, REMOTE_ADDR=other).status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_websocket__bad_tokens_close_4401_then_4429_with_a_retryable_error() -> None:
    created = await database_sync_to_async(make_interview)()
    address = fresh_address()
    room = created.interview.room_id
    codes = []
    for _ in range(LIMIT):
        comm = communicator(f"/ws/interviews/{room}/?token=guess", client_address=address)
        await comm.connect()
        codes.append(await _close_code(comm))

    comm = communicator(created.ws_path, client_address=address)
    await comm.connect()
    error = json.loads(await comm.receive_from(timeout=WAIT))

    assert codes == [4401] * LIMIT
    assert error == {
        "type": "error",
        "code": "rate_limited",
        "message": guessing.TooManyTokenFailures.message,
        "retryable": True,
    }
    assert await _close_code(comm) == 4429


@pytest.mark.django_db(transaction=True)
async def test_websocket__unknown_rooms_count_as_guesses_too() -> None:
    address = fresh_address()
    codes = []
    for n in range(LIMIT + 1):
        path = f"/ws/interviews/{n + 1:032x}/?token=guess"
        comm = communicator(path, client_address=address)
        await comm.connect()
        codes.append(await _close_code(comm))

    assert codes == [4404] * LIMIT + [4429]


@pytest.mark.django_db(transaction=True)
async def test_http_and_websocket__share_one_count_per_address(client: Client) -> None:
    created = await database_sync_to_async(make_interview)()
    address = fresh_address()
    for _ in range(LIMIT):
        await database_sync_to_async(client.get)(_bad_path(), REMOTE_ADDR=address)

    comm = communicator(created.ws_path, client_address=address)
    await comm.connect()

    assert await _close_code(comm) == 4429


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_uvicorn__counts_are_shared_between_processes_per_forwarded_address(
    redis_url: str, tmp_path: Path
) -> None:
    """Failures counted in this process block the address in a real uvicorn process, which
    takes the client address from X-Forwarded-For (the proxy, 127.0.0.1, is trusted)."""
    created = make_interview()
    blocked, other = fresh_address(), fresh_address()
    port = free_port()
    # This test is the proxy at 127.0.0.1: uvicorn is told to believe its X-Forwarded-For.
    env = services_env(
        tmp_path, redis_url, TOKEN_FAILURES_PER_MINUTE=str(LIMIT), FORWARDED_ALLOW_IPS="127.0.0.1"
    )
    with stack(env, tmp_path) as running:
        running.uvicorn(port)
        # The count lives in a fixed one-minute window of the server's clock: guess in this
        # minute and the next (an injected clock), so the server answers inside a full window
        # whenever it does, with no waiting for the wall clock.
        now = time.time()
        for minute in (now, now + guessing.WINDOW_SECONDS):
            for n in range(LIMIT):
                with pytest.raises(InviteRejected):
                    guessing.invite_open(
                        token=f"guess-{n}", client_address=blocked, clock=_at(minute)
                    )
        url = f"http://127.0.0.1:{port}{created.invite_path}"
        refused = httpx.get(
            url, headers={"X-Forwarded-For": blocked, "Accept": "application/json"}, timeout=30
        )
        served = httpx.get(url, headers={"X-Forwarded-For": other}, timeout=30)

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert served.status_code == 200


def _at(moment: float) -> guessing.Clock:
    return lambda: moment


async def _close_code(comm: Any) -> int:
    output = await comm.receive_output(timeout=WAIT)
    while output["type"] != "websocket.close":
        output = await comm.receive_output(timeout=WAIT)
    await comm.disconnect()
    return int(output["code"])


@pytest.mark.django_db
def test_concurrent_guesses__at_most_the_limit_are_checked(
    redis_url: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 guesses at once from one address: the count is taken before the token is looked at
    (INCR, then compare), so no more than the limit are ever checked, however they interleave.
    The lookup is slowed (it is what a guess waits on), the counting is real Redis."""
    settings.TOKEN_FAILURES_PER_MINUTE = 20
    checked: list[str] = []

    def slow_lookup(*, token: str) -> Interview:
        checked.append(token)
        time.sleep(0.3)  # a database round trip under load: every guess is in flight at once
        raise InviteRejected(InviteProblem.BAD_TOKEN)

    monkeypatch.setattr(guessing, "interview_by_invite", slow_lookup)
    address = fresh_address()

    def guess(n: int) -> str:
        try:
            guessing.invite_open(token=f"guess-{n}", client_address=address)
        except InviteRejected:
            return "checked"
        except guessing.TooManyTokenFailures:
            return "refused"
        return "served"

    with ThreadPoolExecutor(max_workers=200) as pool:
        outcomes = Counter(pool.map(guess, range(200)))

    assert outcomes == {"checked": 20, "refused": 180}
    assert len(checked) == 20


def test_a_real_link__counted_and_given_back_in_two_redis_round_trips(redis_url: str) -> None:
    client = guessing.client_key(fresh_address())
    redis = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    guessing.token_attempt_settle(  # loads the give-back's script, outside the count
        key=guessing.token_attempt_admit(client=client), client=client, where="t", problem=None
    )
    with redis_round_trips(redis) as sent:
        key = guessing.token_attempt_admit(client=client)
        guessing.token_attempt_settle(key=key, client=client, where="t", problem=None)
    # The count (SET NX EX and INCR, pipelined), then the give-back (one script): every
    # WebSocket connect and invite page pays these.
    assert len(sent) == 2
    assert key is not None
    assert int(redis.get(cache.make_key(key))) == 0
