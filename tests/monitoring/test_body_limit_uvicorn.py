"""MAX_REQUEST_SIZE_BYTES against a real uvicorn: a too-large body is refused with 413 before
it is read, whether it declares its length or arrives chunked."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.stack import Stack, free_port, stack
from tests.monitoring.helpers import raw_request, stack_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

LIMIT = 4096


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    root = tmp_path_factory.mktemp("body-limit")
    env = stack_env(root / "var", MAX_REQUEST_SIZE_BYTES=str(LIMIT))
    chosen = free_port()
    running: Stack
    with stack(env, root) as running:
        running.uvicorn(chosen)
        yield chosen


def head(port: int, *lines: str) -> bytes:
    request = ["POST /api/upload/ HTTP/1.1", f"Host: 127.0.0.1:{port}", *lines, "", ""]
    return "\r\n".join(request).encode()


def parse(reply: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    head_part, _, body = reply.partition(b"\r\n\r\n")
    status_line, *header_lines = head_part.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def test_413__declared_content_length_over_the_limit_answered_before_any_body(port: int) -> None:
    reply = raw_request(
        port, head(port, f"Content-Length: {LIMIT + 1}", "X-Request-ID: upload-1"), []
    )
    status, headers, body = parse(reply)
    assert status == 413
    assert headers["x-request-id"] == "upload-1"
    assert body["error"]["code"] == "request_too_large"
    assert body["error"]["request_id"] == "upload-1"
    assert "technical_message" not in body["error"]


def test_413__chunked_body_stopped_once_it_passes_the_limit(port: int) -> None:
    # More than the limit in chunks, and never the final chunk: only a server that counts
    # bytes as they arrive can answer this.
    parts = [chunk(b"x" * 1500) for _ in range(3)]
    reply = raw_request(port, head(port, "Transfer-Encoding: chunked"), parts)
    status, headers, body = parse(reply)
    assert status == 413
    assert body["error"]["code"] == "request_too_large"
    assert body["error"]["retryable"] is False
    assert headers["x-request-id"] == body["error"]["request_id"]


def test_bodies_within_the_limit_reach_django(port: int) -> None:
    declared = httpx.post(f"http://127.0.0.1:{port}/api/upload/", content=b"x" * LIMIT)
    chunked = httpx.post(
        f"http://127.0.0.1:{port}/api/upload/", content=iter([b"x" * 2000, b"y" * 2000])
    )
    # Django answers (no such route): the body was let through, not refused.
    assert (declared.status_code, chunked.status_code) == (404, 404)
    assert chunked.json()["error"]["code"] == "not_found"
    assert "x-response-time" in chunked.headers


def test_refusals_are_counted_in_the_request_metrics(port: int) -> None:
    raw_request(port, head(port, f"Content-Length: {LIMIT * 2}"), [])
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    counted = [
        line
        for line in metrics.splitlines()
        if line.startswith("http_request_duration_seconds_count{")
        and 'route="<body-too-large>"' in line
        and 'status="413"' in line
    ]
    assert counted
    assert float(counted[0].rsplit(" ", 1)[1]) >= 1
