"""Bad input found by a hostile review that reached a 500: each is a clear 4xx now, nothing is
changed, and no ERROR traceback is logged."""

import asyncio
import json
import logging
from collections.abc import MutableMapping
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from interviews.services.interviews import interview_revoke_token
from interviewsite.asgi import application
from resilience.dlq.models import DeadLetter, DeadLetterStatus
from resilience.dlq.services import dead_letter_capture
from tests.factories import make_interview
from tests.security.helpers import fresh_address

DLQ = "/api/admin/dlq/"


async def _asgi_get(path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    """One GET straight at the ASGI application, with the path as uvicorn passes it (decoded)."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": (fresh_address(), 50000),
        "server": ("127.0.0.1", 8000),
    }

    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.sleep(3600)  # the client stays connected until the answer is sent
        delivered = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await asyncio.wait_for(application(scope, receive, send), timeout=30)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.lower(): v for k, v in start.get("headers", [])}, body


# --- static files ------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "path",
    [
        "/static/../interviewsite/settings/base.py",  # /static/%2e%2e/… once uvicorn decodes it
        "/static/../../etc/passwd",
        "/static/interviews/../../manage.py",
        "/static//etc/passwd",
        "/static/..\\interviewsite\\settings\\base.py",
    ],
)
def test_static_path_outside_the_static_dirs__404_page_and_no_error_logged(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        status, headers, body = asyncio.run(_asgi_get(path))

    assert status == 404, body[:300]
    assert headers[b"content-type"].startswith(b"text/html")
    assert b"SECRET_KEY" not in body
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_static_file__still_served() -> None:
    status, _, body = asyncio.run(_asgi_get("/static/interviews/candidate.js"))

    assert status == 200
    assert b"WebSocket" in body


# --- text the database cannot store ------------------------------------------------------------
@pytest.fixture
def staff(db: None) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_superuser("bad-input-ops", password=None))
    return client


BAD_TEXT = ["\x00", "a\x00b"]


@pytest.mark.usefixtures("postgres_required")
@pytest.mark.parametrize("bad", BAD_TEXT)
@pytest.mark.parametrize(
    "path",
    [
        DLQ + "?status=all&queue={}",
        DLQ + "?task={}",
        DLQ + "?{}=1",
        "/admin/resilience/deadletter/?q={}",
        "/admin/resilience/deadletter/?queue={}",
        "/admin/interviews/interview/?q={}",
        "/admin/auth/user/?q={}",
    ],
)
def test_query_parameter_with_text_the_database_cannot_store__400(
    staff: Client, path: str, bad: str
) -> None:
    from urllib.parse import quote

    response = staff.get(path.format(quote(bad)))

    assert response.status_code == 400, response.content[:300]
    if path.startswith(DLQ):
        assert response.json()["error"]["code"] == "invalid_text"


@pytest.mark.usefixtures("postgres_required")
@pytest.mark.parametrize("bad", [*BAD_TEXT, "\ud800", "lone \udfff surrogate"])
@pytest.mark.parametrize(
    "body",
    [
        {"action": "discard", "all": True, "queue": "{}"},
        {"action": "clear", "task": "{}"},
        {"action": "{}"},
        {"action": "discard", "all": True, "{}": "x"},
    ],
)
def test_dlq_body_with_text_the_database_cannot_store__400_and_nothing_changes(
    staff: Client, body: dict[str, Any], bad: str
) -> None:
    kept = dead_letter_capture(
        task_name="tests.bad.input",
        task_id="bad-1",
        queue="{}",
        args=[],
        kwargs={},
        exception_type="E",
        exception_message="m",
        traceback="",
        attempts=1,
    )
    raw = json.dumps(body).replace("{}", json.dumps(bad)[1:-1])

    response = staff.post(DLQ, data=raw, content_type="application/json")

    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["code"] == "invalid_text"
    assert DeadLetter.objects.get(pk=kept.pk).status == DeadLetterStatus.PENDING


@pytest.mark.parametrize("opening", ["[", '{"a":', '{"a":['])
def test_dlq_body_nested_too_deep__400_not_a_recursion_error(staff: Client, opening: str) -> None:
    response = staff.post(DLQ, data=opening * 100_000, content_type="application/json")

    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["code"] == "invalid_json"


# --- invite pages whose URL holds a token ------------------------------------------------------
def _no_referrer_no_store(response: Any) -> tuple[str, str]:
    return response["Referrer-Policy"], response.get("Cache-Control", "")


@pytest.mark.django_db
def test_invite_error_pages__no_referrer_and_no_store(settings: Any) -> None:
    settings.TOKEN_FAILURES_PER_MINUTE = 1
    revoked = make_interview()
    interview_revoke_token(interview=revoked.interview)
    address = fresh_address()
    client = Client()

    gone = client.get(revoked.invite_path, REMOTE_ADDR=fresh_address())
    unknown = client.get("/i/not-a-real-token/", REMOTE_ADDR=address)
    limited = client.get("/i/another-guess/", REMOTE_ADDR=address)
    not_routed = client.get("/i/a/b/", REMOTE_ADDR=fresh_address())

    assert [r.status_code for r in (gone, unknown, limited, not_routed)] == [410, 404, 429, 404]
    for response in (gone, unknown, limited, not_routed):
        assert _no_referrer_no_store(response) == ("no-referrer", "no-store")
