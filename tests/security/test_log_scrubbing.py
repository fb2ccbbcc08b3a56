"""Invite tokens, health tokens and bearer credentials never reach a log line: not Django's
request log, not uvicorn's access and WebSocket lines, not an `extra=` field, not a traceback."""

import io
import json
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.test import Client, override_settings
from websockets.sync.client import connect as ws_connect
from websockets.typing import Origin

from monitoring.logging import REDACTED, build_formatter, scrub
from tests.e2e.stack import BIN, free_port, stack, wait_http
from tests.factories import make_interview
from tests.monitoring.helpers import HEALTH_TOKEN, services_env

SECRET = "Zk3-secret_TOKEN-value-0123456789"


def _project_handler() -> logging.StreamHandler:
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(type(f).__name__ == "SecretScrubFilter" for f in h.filters)
    )
    assert isinstance(handler, logging.StreamHandler)
    return handler


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the project's console handler (settings.LOGGING) writes, captured."""
    handler = _project_handler()
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


@pytest.fixture(params=["json", "console"])
def log_format(request: pytest.FixtureRequest, log_output: io.StringIO) -> Iterator[str]:
    """The handler formats as LOG_FORMAT says, whichever format this run's settings chose."""
    handler = _project_handler()
    previous = handler.formatter
    with override_settings(LOG_FORMAT=request.param):
        handler.setFormatter(build_formatter())
    try:
        yield request.param
    finally:
        handler.setFormatter(previous)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"GET /i/{SECRET}/ HTTP/1.1", f"GET /i/{REDACTED}/ HTTP/1.1"),
        (f"/ws/interviews/ab12/?token={SECRET}", f"/ws/interviews/ab12/?token={REDACTED}"),
        (f"/health/?format=json&token={SECRET}&x=1", f"/health/?format=json&token={REDACTED}&x=1"),
        (f"/x?access_token={SECRET}", f"/x?access_token={REDACTED}"),
        (f"next=%2Fws%2F%3Ftoken%3D{SECRET}", f"next=%2Fws%2F%3Ftoken%3D{REDACTED}"),
        (f"Authorization: Bearer {SECRET}", f"Authorization: Bearer {REDACTED}"),
        ("/api/admin/dlq/?page=2", "/api/admin/dlq/?page=2"),
    ],
)
def test_scrub__redacts_each_secret_form_and_keeps_the_rest(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.django_db
def test_django_request_log__not_found_invite_path_is_redacted(
    client: Client, log_output: io.StringIO
) -> None:
    response = client.get(f"/i/{SECRET}/", REMOTE_ADDR="198.18.255.1")

    text = log_output.getvalue()
    assert response.status_code == 404
    assert SECRET not in text
    assert f"Not Found: /i/{REDACTED}/" in text


def test_records__message_extras_and_traceback_are_scrubbed(
    log_format: str, log_output: io.StringIO
) -> None:
    logger = logging.getLogger("tests.security")
    logger.warning(
        "socket %s", f"/ws/interviews/ab/?token={SECRET}", extra={"url": f"/i/{SECRET}/"}
    )
    try:
        raise ValueError(f"bad link /i/{SECRET}/")
    except ValueError:
        logger.exception("failed with Authorization: Bearer %s", SECRET)

    lines = log_output.getvalue().splitlines()
    assert SECRET not in "\n".join(lines)
    if log_format == "json":
        first = json.loads(lines[0])
        assert first["message"] == f"socket /ws/interviews/ab/?token={REDACTED}"
        assert first["url"] == f"/i/{REDACTED}/"
    else:
        assert lines[0].endswith(f"socket /ws/interviews/ab/?token={REDACTED}")
    assert f"ValueError: bad link /i/{REDACTED}/" in log_output.getvalue()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_uvicorn__access_websocket_and_request_lines_carry_no_token(
    redis_url: str, tmp_path: Path
) -> None:
    """A real uvicorn, started as the Procfile starts it (default log level: access log on)."""
    created = make_interview()
    bad = secrets.token_urlsafe(32)
    port = free_port()
    # 0: these requests come from 127.0.0.1, which other tests must not find blocked.
    env = services_env(tmp_path, redis_url, TOKEN_FAILURES_PER_MINUTE="0")
    base = f"http://127.0.0.1:{port}"
    with stack(env, tmp_path) as running:
        web = running.start(
            "web",
            str(BIN / "uvicorn"),
            "interviewsite.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        )
        wait_http(f"{base}/health/live/", web)
        page = httpx.get(f"{base}{created.invite_path}", timeout=30)
        missing = httpx.get(f"{base}/i/{bad}/", timeout=30)
        health = httpx.get(f"{base}/health/workers/?token={HEALTH_TOKEN}", timeout=30)
        with ws_connect(
            f"ws://127.0.0.1:{port}{created.ws_path}", origin=Origin(base), open_timeout=30
        ) as socket:
            socket.send('{"type":"ping"}')
            pong = json.loads(socket.recv(timeout=30))
        running.stop_all()  # flushes the log
        text = web.log.read_text()
    # LOG_FORMAT is json whenever DATABASE_URL is set: one object per line.
    messages = "\n".join(json.loads(line)["message"] for line in text.splitlines())

    assert (page.status_code, missing.status_code, pong) == (200, 404, {"type": "pong"})
    assert health.status_code in (200, 503)
    for secret in (created.token, bad, HEALTH_TOKEN):
        assert secret not in text
    assert f'"GET /i/{REDACTED}/ HTTP/1.1" 200' in messages  # uvicorn.access
    assert f'"GET /i/{REDACTED}/ HTTP/1.1" 404' in messages
    assert f"/health/workers/?token={REDACTED} HTTP/1.1" in messages
    ws_accept = f'"WebSocket /ws/interviews/{created.interview.room_id}/?token={REDACTED}"'
    assert ws_accept in messages  # uvicorn.error
    assert f"Not Found: /i/{REDACTED}/" in messages  # django.request
