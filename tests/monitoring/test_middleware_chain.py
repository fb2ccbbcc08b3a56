"""A request for a sync view crosses from the event loop to a thread once, and back once.

The production ASGI application (interviewsite.asgi.application, as uvicorn runs it) is
called in process, and every crossing between the event loop and a thread (asgiref's
sync_to_async and async_to_sync) is counted. Django's own async handler crossed five times for
a GET /health/live/ and started a thread for each request, most of the several ms of CPU it
cost (bench/http_cost.py); interviewsite/http_handler.py runs such a request start to end on
one pooled thread. The test client has handlers of its own, so it is not used here.
"""

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import pytest
from asgiref import sync
from django.conf import settings
from django.core import signals
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from interviewsite.asgi import application
from interviewsite.http_handler import HTTP_POOL, OneHopASGIHandler

# The chain gives back whatever connection its thread holds (release_database_connections).
pytestmark = pytest.mark.django_db(transaction=True)

ONE_HOP = ["sync_to_async OneHopASGIHandler._respond"]


@pytest.fixture
def crossings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    to_thread = sync.SyncToAsync.__call__
    to_loop = sync.AsyncToSync.__call__

    async def counted_to_thread(self: sync.SyncToAsync[Any, Any], *args: Any, **kw: Any) -> Any:
        seen.append(f"sync_to_async {getattr(self.func, '__qualname__', self.func)}")
        return await to_thread(self, *args, **kw)

    def counted_to_loop(self: sync.AsyncToSync[Any, Any], *args: Any, **kw: Any) -> Any:
        seen.append(f"async_to_sync {getattr(self.awaitable, '__qualname__', self.awaitable)}")
        return to_loop(self, *args, **kw)

    monkeypatch.setattr(sync.SyncToAsync, "__call__", counted_to_thread)
    monkeypatch.setattr(sync.AsyncToSync, "__call__", counted_to_loop)
    return seen


class Reply:
    def __init__(self, messages: list[MutableMapping[str, Any]]) -> None:
        start = messages[0]
        assert start["type"] == "http.response.start"
        self.status: int = start["status"]
        self.headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
        self.body = b"".join(m.get("body", b"") for m in messages[1:])
        assert messages[-1].get("more_body", False) is False  # the response was finished


async def exchange(
    url: str,
    method: str = "GET",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    gone: bool = False,
) -> list[MutableMapping[str, Any]]:
    """What the application sends for one request; `gone`: the client left before its body."""
    path_part, _, query = url.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path_part,
        "raw_path": path_part.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    chunks: list[dict[str, Any]] = [
        {"type": "http.disconnect"} if gone else {"type": "http.request", "body": body}
    ]

    async def receive() -> dict[str, Any]:
        if chunks:
            return chunks.pop(0)
        await asyncio.get_running_loop().create_future()  # the client stays connected
        raise AssertionError("unreachable")

    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await application(scope, receive, send)
    return sent


async def call(url: str, **kwargs: Any) -> Reply:
    return Reply(await exchange(url, **kwargs))


# A URLconf with the kinds of sync views the project has none of yet.
def _stream(request: HttpRequest) -> StreamingHttpResponse:
    async def parts() -> AsyncIterator[bytes]:
        for part in (b"one,", b"two,", b"three"):
            yield part

    return StreamingHttpResponse(parts())


@csrf_exempt
def _echo(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.body[::-1], content_type="application/octet-stream")


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a view failed")


urlpatterns = [
    path("stream/", _stream),
    path("echo/", _echo),
    path("boom/", _boom),
]


@pytest.fixture
def thread_of_signals() -> Iterator[dict[str, list[str]]]:
    seen: dict[str, list[str]] = {"started": [], "finished": []}

    def started(**kwargs: Any) -> None:
        seen["started"].append(threading.current_thread().name)

    def finished(**kwargs: Any) -> None:
        seen["finished"].append(threading.current_thread().name)

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield seen
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


async def test_health_live__one_crossing_to_a_pooled_thread(crossings: list[str]) -> None:
    reply = await call("/health/live/", headers=(("Accept", "application/json"),))

    assert reply.status == 200
    assert json.loads(reply.body)["status"] == "healthy"
    assert crossings == ONE_HOP


async def test_health_live__keeps_what_the_middleware_and_the_view_add(
    crossings: list[str],
) -> None:
    reply = await call(
        "/health/live/", headers=(("Accept", "text/html"), ("X-Request-ID", "probe-1"))
    )

    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert reply.headers["x-request-id"] == "probe-1"
    assert reply.headers["x-response-time"].endswith("ms")
    assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "Accept" in reply.headers["vary"]
    assert "no-cache" in reply.headers["cache-control"]
    assert crossings == ONE_HOP


@pytest.mark.parametrize(
    ("accept", "status", "content_type"),
    [
        ("text/plain", 200, "text/plain"),
        ("application/xml, application/json;q=0.5", 200, "application/json"),
        ("image/png", 406, "text/plain"),
        ("a/b/c", 400, "application/json"),  # malformed: a 400, not a 500
    ],
)
async def test_health_live__answers_each_format_as_the_stock_view_does(
    accept: str, status: int, content_type: str
) -> None:
    reply = await call("/health/live/", headers=(("Accept", accept),))

    assert reply.status == status, reply.body
    assert reply.headers["content-type"].startswith(content_type)


async def test_request_signals__sent_once_each_on_the_request_thread(
    thread_of_signals: dict[str, list[str]],
) -> None:
    await call("/health/live/")

    assert len(thread_of_signals["started"]) == 1
    assert thread_of_signals["finished"] == thread_of_signals["started"]
    assert thread_of_signals["started"][0].startswith("http-")


async def test_unknown_path__answered_by_the_chain_in_one_hop(crossings: list[str]) -> None:
    reply = await call("/no/such/page/", headers=(("Accept", "application/json"),))

    assert reply.status == 404
    assert json.loads(reply.body)["error"]["code"] == "not_found"
    assert crossings == ONE_HOP


async def test_nul_in_the_query__a_400_in_one_hop(crossings: list[str]) -> None:
    reply = await call("/health/live/?q=%00", headers=(("Accept", "application/json"),))

    assert reply.status == 400
    assert json.loads(reply.body)["error"]["code"] == "invalid_text"
    assert crossings == ONE_HOP


async def test_client_gone_before_its_body__nothing_run_nothing_sent(
    crossings: list[str], thread_of_signals: dict[str, list[str]]
) -> None:
    sent = await exchange("/health/live/", method="POST", gone=True)

    assert sent == []
    assert crossings == []
    assert thread_of_signals == {"started": [], "finished": []}


@override_settings(ROOT_URLCONF=__name__)
async def test_post_body__reaches_the_sync_view(crossings: list[str]) -> None:
    body = "naïve ✓ \x00 bytes".encode() * 1000

    reply = await call("/echo/", method="POST", body=body)

    assert reply.status == 200
    assert reply.body == body[::-1]
    assert crossings == ONE_HOP


@override_settings(ROOT_URLCONF=__name__)
async def test_streaming_response__sent_whole_then_closed(
    thread_of_signals: dict[str, list[str]],
) -> None:
    reply = await call("/stream/")

    assert reply.status == 200
    assert reply.body == b"one,two,three"
    assert len(thread_of_signals["finished"]) == 1  # closed once, after it was sent


@override_settings(ROOT_URLCONF=__name__)
async def test_view_error__the_monitoring_envelope_not_a_dropped_request() -> None:
    reply = await call("/boom/", headers=(("Accept", "application/json"),))

    assert reply.status == 500
    assert json.loads(reply.body)["error"]["code"] == "internal_error"


async def test_concurrent_requests__all_answered_on_the_bounded_pool() -> None:
    replies = await asyncio.gather(
        *(call("/health/live/", headers=(("Accept", "application/json"),)) for _ in range(40))
    )

    assert [r.status for r in replies] == [200] * 40
    assert 1 <= HTTP_POOL.threads <= settings.HTTP_THREADS


@pytest.mark.parametrize(
    ("path", "is_async"),
    [
        ("/health/live/", False),
        ("/health/ready/", True),  # waits on Redis and the workers: Django's async handler
        ("/health/", True),
        ("/health", False),  # no view: CommonMiddleware's slash redirect, in one hop
        ("/admin/login/", False),
        ("/no/such/page/", False),
    ],
)
def test_view_is_async__by_the_view_the_path_resolves_to(path: str, is_async: bool) -> None:
    scope = {"type": "http", "path": path, "root_path": ""}

    assert OneHopASGIHandler.view_is_async(scope) is is_async
