"""Random paths, query strings, headers and bodies at the public endpoints: never a 500, and
every JSON error is the documented envelope. Through Django's test client (many examples) and
straight at the ASGI application (raw bytes, fewer examples), plus random WebSocket connects.

Frames on an open socket are fuzzed in tests/interviews/test_consumer_fuzz.py.
"""

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interviewsite.asgi import application
from tests.event_loops import run_on_new_loop
from tests.interviews.ws import CLOSE_CODES, SERVER_TYPES
from tests.security.helpers import fresh_address

ENVELOPE_KEYS = {"code", "message", "retryable", "error_id", "request_id"}
PUBLIC_PATHS = (
    "/",
    "/i/",
    "/i/abc/",
    "/health/live/",
    "/health/ready/",
    "/health/",
    "/health/workers/",
    "/health/circuit-breakers/",
    "/health/infrastructure/",
    "/metrics",
    "/api/admin/dlq/",
    "/admin/",
    "/admin/login/",
    "/static/interviews/candidate.js",
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "BREW")
HEADER_NAMES = (
    "Accept",
    "Content-Type",
    "Authorization",
    "Cookie",
    "X-Request-ID",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "Origin",
    "Referer",
    "Range",
    "If-None-Match",
    "Accept-Encoding",
)
FUZZ_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Header values as a client can send them: latin-1, no line breaks.
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80
)
segment = st.text(st.characters(codec="utf-8", exclude_characters="#?/\x00"), max_size=24)
paths = st.one_of(
    st.sampled_from(PUBLIC_PATHS),
    st.builds(lambda p, s: p + s, st.sampled_from(PUBLIC_PATHS), segment),
    st.builds(
        lambda p, s: f"{p}{s}/", st.sampled_from(("/i/", "/health/", "/api/admin/")), segment
    ),
    st.lists(segment, max_size=4).map(lambda parts: "/" + "/".join(parts)),
)
queries = st.one_of(
    st.just(""),
    st.dictionaries(
        st.sampled_from(["token", "format", "q", "status", "limit", "queue", "x", ""]),
        st.text(max_size=30),
        max_size=3,
    ).map(lambda d: "&".join(f"{k}={v}" for k, v in d.items())),
    st.text(max_size=60).map(lambda t: t.replace("#", "")),
)
headers = st.dictionaries(
    st.sampled_from(HEADER_NAMES),
    st.one_of(
        header_text,
        st.sampled_from(
            [
                "application/json",
                "text/html",
                "multipart/form-data; boundary=x",
                "application/x-www-form-urlencoded",
                "Bearer x",
                "https",
                "sessionid=abc; csrftoken=def",
            ]
        ),
    ),
    max_size=5,
)
bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=300),
    st.text(max_size=200).map(str.encode),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=8,
    ).map(lambda v: json.dumps(v).encode()),
)


def _check_response(path: str, status: int, content_type: str, body: bytes) -> None:
    assert status < 500 or (status == 503 and path.startswith("/health/")), (status, body[:300])
    if status >= 400 and content_type.startswith("application/json") and body:
        payload = json.loads(body)
        if "error" in payload or status != 503:  # a 503 health report is a report, not an error
            assert set(payload) == {"error"}, payload
            error = payload["error"]
            assert set(error) == ENVELOPE_KEYS, error
            assert isinstance(error["code"], str)
            assert isinstance(error["message"], str)
            assert isinstance(error["retryable"], bool)


@pytest.mark.django_db
@FUZZ_SETTINGS
@given(
    method=st.sampled_from(METHODS),
    path=paths,
    query=queries,
    extra=headers,
    body=bodies,
    host=st.sampled_from(["127.0.0.1", "localhost", "evil.example", "127.0.0.1:8000", ""]),
)
def test_django_client__random_requests_never_500_and_json_errors_are_envelopes(
    method: str, path: str, query: str, extra: dict[str, str], body: bytes, host: str
) -> None:
    client = Client(REMOTE_ADDR=fresh_address())
    meta: dict[str, Any] = {
        f"HTTP_{name.upper().replace('-', '_')}": value for name, value in extra.items()
    }
    content_type = meta.pop("HTTP_CONTENT_TYPE", "application/octet-stream")
    if host:
        meta["HTTP_HOST"] = host

    response = client.generic(
        method,
        f"{path}?{query}" if query else path,
        data=body,
        content_type=content_type,
        **meta,
    )

    _check_response(path, response.status_code, response.get("Content-Type", ""), response.content)


# --- raw ASGI -----------------------------------------------------------------------------------
async def _asgi_http(scope: dict[str, Any], body: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.sleep(3600)  # the client stays connected until the answer is sent
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await asyncio.wait_for(application(scope, receive, send), timeout=30)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start.get("headers", [])), content


raw_paths = st.one_of(
    paths.map(lambda p: p.encode("utf-8", "surrogatepass")),
    st.builds(lambda p, b: p.encode() + b, st.sampled_from(PUBLIC_PATHS), st.binary(max_size=30)),
)
raw_headers = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from([n.lower().encode() for n in HEADER_NAMES]),
            st.sampled_from([b"host", b"content-length", b"transfer-encoding", b"cookie"]),
            st.binary(min_size=1, max_size=12),
        ),
        st.binary(max_size=60),
    ),
    max_size=6,
)


@pytest.mark.django_db(transaction=True)
@settings(FUZZ_SETTINGS, max_examples=60)
@given(
    method=st.sampled_from(METHODS),
    raw_path=raw_paths,
    query=st.binary(max_size=60),
    header_list=raw_headers,
    body=bodies,
)
def test_asgi__raw_byte_requests_never_500_and_json_errors_are_envelopes(
    method: str,
    raw_path: bytes,
    query: bytes,
    header_list: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path.decode("utf-8", "replace"),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *header_list],
        "client": (fresh_address(), 50000),
        "server": ("127.0.0.1", 8000),
    }

    status, response_headers, content = asyncio.run(_asgi_http(scope, body))

    path = raw_path.decode("utf-8", "replace")
    _check_response(path, status, response_headers.get(b"content-type", b"").decode(), content)


# --- WebSocket connects -------------------------------------------------------------------------
async def _ws_connect(path: str, query: bytes, header_list: list[tuple[bytes, bytes]]) -> None:
    scope = {
        "type": "websocket",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"origin", b"http://127.0.0.1:8000"), *header_list],
        "subprotocols": [],
        "client": (fresh_address(), 50000),
        "server": ("127.0.0.1", 8000),
    }
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send(message: MutableMapping[str, Any]) -> None:
        await outbox.put(dict(message))

    await inbox.put({"type": "websocket.connect"})
    task = asyncio.create_task(application(scope, inbox.get, send))
    closed = False
    while not closed:
        message = await asyncio.wait_for(outbox.get(), timeout=30)
        if message["type"] == "websocket.send":
            frame = json.loads(message["text"])
            assert frame["type"] in SERVER_TYPES, frame
        elif message["type"] == "websocket.accept":
            await inbox.put({"type": "websocket.receive", "text": '{"type":"ping"}'})
        else:
            assert message["type"] == "websocket.close", message
            # Before accepting (the origin check) Channels closes with 1000 / no code.
            assert message.get("code", 1000) in {*CLOSE_CODES, 1000}, message
            closed = True
        if message.get("text") == '{"type": "pong"}':
            closed = True
    await inbox.put({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(task, timeout=30)  # raises if the application raised


@pytest.mark.django_db(transaction=True)
@settings(FUZZ_SETTINGS, max_examples=40)
@given(
    path=st.one_of(
        st.text("0123456789abcdef", min_size=1, max_size=32).map(lambda r: f"/ws/interviews/{r}/"),
        st.just(f"/ws/interviews/{'0' * 16}/"),
        # Any other path: close 4404, never a routing exception.
        st.text(max_size=40).map(lambda t: "/" + t),
    ),
    query=st.one_of(
        st.binary(max_size=80),
        st.text(max_size=60).map(lambda t: b"token=" + t.encode()),
    ),
    header_list=raw_headers,
)
def test_websocket_connect__random_paths_tokens_and_headers_never_crash(
    path: str, query: bytes, header_list: list[tuple[bytes, bytes]]
) -> None:
    run_on_new_loop(_ws_connect(path, query, header_list))
