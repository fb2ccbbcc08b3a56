"""HTTP under ASGI in one hop: a request for a sync view runs start to end on one pooled thread.

Django's ASGI handler is async. For every request it starts a thread of its own (asgiref's
ThreadSensitiveContext), sends request_started and request_finished from the event loop
through sync_to_async, enters the (sync) middleware chain on that thread, comes back to the
loop for the view middleware and goes out again for a sync view: five crossings between the
loop and a thread and a thread started and joined, about half of the CPU a GET /health/live/
cost (docs/performance.md, "Plain HTTP: CPU per request").

Every view of this project but the health reports is sync, and a WSGI server runs such a
request on one thread, start to end. So does this handler: the body is read on the event
loop, then one call on a bounded pool of HTTP_THREADS threads sends request_started, builds
the request, runs the middleware chain in sync mode with the view, and closes the response
(request_finished, the connection back to the pool); the loop sends the bytes. The pool is
bounded because each of its threads may hold a pooled database connection, which
DB_POOL_MAX_SIZE counts (docs/architecture.md, "Sizing connections"); a request that finds
every thread busy waits for one, as it would for a WSGI worker.

A view that is a coroutine (the health reports, which wait on Redis and the workers without
holding a thread) keeps Django's async handler, unchanged. A streaming response is closed
after it has been sent, as Django does; any other response is complete when the view returns,
so it is closed on the request's thread.
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import HttpResponseBase
from django.urls import get_resolver, set_script_prefix

from interviews.shutdown import DaemonThreadPool

HTTP_POOL = DaemonThreadPool(settings.HTTP_THREADS, "http")


class OneHopASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()  # the async chain, for coroutine views
        self.sync_handler = BaseHandler()
        self.sync_handler.load_middleware(is_async=False)
        # asgiref types `executor` as a ThreadPoolExecutor; it only calls submit().
        pool = cast(ThreadPoolExecutor, HTTP_POOL)
        self._respond_on_pool = sync_to_async(self._respond, thread_sensitive=False, executor=pool)
        self._close_on_pool = sync_to_async(
            HttpResponseBase.close, thread_sensitive=False, executor=pool
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.view_is_async(scope):
            await super().__call__(scope, receive, send)
            return
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:  # the client went away before its body came
            return
        try:
            response = await self._respond_on_pool(scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:
                    await self._close_on_pool(response)
        finally:
            body_file.close()

    @staticmethod
    def view_is_async(scope: dict[str, Any]) -> bool:
        """Whether the view the path resolves to is a coroutine. A path no view matches goes
        the sync way: the chain answers it (CommonMiddleware's slash redirect, the 404), and
        so does one the resolver fails on, which the chain resolves again and answers."""
        script_name = get_script_prefix(scope)
        path = scope["path"]
        path_info = path.removeprefix(script_name) if script_name else path
        try:
            match = get_resolver().resolve(path_info)
        except Exception:  # Resolver404, or what the chain's own resolve answers and logs
            return False
        return iscoroutinefunction(match.func)

    def _respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        """What Django's WSGIHandler does for one request, on this thread."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error = self.create_request(scope, body_file)  # or a 400 for a bad one
        if request is None:
            assert error is not None
            response = error
        else:
            response = self.sync_handler.get_response(request)  # answers its own exceptions
            response._handler_class = self.__class__  # type: ignore[attr-defined]
        if not response.streaming:
            response.close()  # request_finished: the content is in memory
        return response


def get_asgi_application() -> ASGIHandler:
    """django.core.asgi.get_asgi_application, with this handler."""
    import django

    django.setup(set_prefix=False)
    return OneHopASGIHandler()
