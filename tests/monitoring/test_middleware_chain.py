"""Under ASGI the middleware chain runs in sync mode, on the request's one thread.

Every crossing between the event loop and a thread (asgiref's sync_to_async and
async_to_sync) is counted for one request through Django's async handler. In async mode each
of Django's own middleware (MiddlewareMixin) crosses twice (process_request, then
process_response), which made a GET /health/live/ cost several ms of CPU
(bench/http_cost.py).
"""

from typing import Any

import pytest
from asgiref import sync
from django.test import AsyncClient

# The chain gives back whatever connection its thread holds (release_database_connections);
# after other tests that thread may hold one.
pytestmark = pytest.mark.django_db

# The request_started and request_finished signals' sync receivers, the chain, the way back
# to the event loop for an async view (HealthView), and CSRF's process_view, which Django's
# async handler calls through sync_to_async. 17 when the chain ran in async mode.
MOST_CROSSINGS = 5


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


async def test_health_live__crosses_between_loop_and_threads_at_most_five_times(
    crossings: list[str],
) -> None:
    response = await AsyncClient().get("/health/live/", headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert len(crossings) <= MOST_CROSSINGS, crossings


async def test_health_live__keeps_what_the_middleware_adds(crossings: list[str]) -> None:
    response = await AsyncClient().get(
        "/health/live/", headers={"Accept": "application/json", "X-Request-ID": "probe-1"}
    )

    assert response["X-Request-ID"] == "probe-1"
    assert response["X-Response-Time"].endswith("ms")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
