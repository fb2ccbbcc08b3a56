"""Every HTTP request gets an id, a timing, a size check, a latency sample and typed errors.

First in MIDDLEWARE, so it times everything after it and every log line of the request
carries the id. Under ASGI the body is read before any middleware runs, so bodies are also
limited as they arrive by monitoring.asgi.BodySizeLimit; the Content-Length check here covers
WSGI and the test client.
"""

import logging
import time
from contextvars import Token
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError

from monitoring import errors
from monitoring.context import (
    REQUEST_ID_HEADER,
    bind_request_id,
    current_request_id,
    request_id_from,
    unbind_request_id,
)
from monitoring.metrics import observe_request, route_of
from resilience.text import INVALID_TEXT_MESSAGE, first_text_problem

logger = logging.getLogger(__name__)

# Answered by Django's own handlers (our handler400/403/404 in the URLconf), which also do
# Django's security logging.
DJANGO_HANDLED = (Http404, PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)
# Health reports wait for workers' broadcast replies (1 s) by design; still timed, not logged.
SLOW_LOG_EXEMPT_ROUTES = ("health/",)


class RequestMonitoringMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        started = time.perf_counter()
        token = self._bind_request_id(request)
        try:
            response = (
                self._too_large(request)
                or self._invalid_text(request)
                or self.get_response(request)
            )
            if self._needs_envelope(request, response):
                response = self._not_allowed(request, response, errors.is_privileged(request))
            return self._finish(request, response, started)
        finally:
            if token is not None:
                unbind_request_id(token)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        token = self._bind_request_id(request)
        try:
            response = self._too_large(request) or self._invalid_text(request)
            if response is None:
                response = await self.get_response(request)
            if self._needs_envelope(request, response):
                user = await request.auser() if hasattr(request, "auser") else None
                privileged = settings.DEBUG or bool(user is not None and user.is_staff)
                response = self._not_allowed(request, response, privileged)
            return self._finish(request, response, started)
        finally:
            if token is not None:
                unbind_request_id(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        info = errors.exception_info(exception)
        if info is not None:
            response = errors.error_response(request, info)
            if info.status >= 500:
                logger.warning(
                    "%s on %s: %s",
                    info.code,
                    route_of(request),
                    exception,
                    extra={"route": route_of(request), "status": info.status},
                )
            return response
        if isinstance(exception, DJANGO_HANDLED):
            return None
        if settings.DEBUG and not errors.wants_json(request):
            return None  # Django's debug page
        # Error reporters listen for this; returning a response here skips Django's send.
        signals.got_request_exception.send(sender=type(self), request=request)
        return errors.internal_error_response(request, exception)

    # --- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _bind_request_id(request: HttpRequest) -> Token[str | None] | None:
        """Use the id monitoring.asgi.RequestId bound for this request; bind one otherwise
        (WSGI, the test client), which then ends with this middleware."""
        bound = current_request_id()
        request_id = bound or request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        return None if bound else bind_request_id(request_id)

    @staticmethod
    def _too_large(request: HttpRequest) -> HttpResponse | None:
        limit = settings.MAX_REQUEST_SIZE_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length <= limit:
            return None
        technical = f"Content-Length {length} exceeds MAX_REQUEST_SIZE_BYTES ({limit})"
        info = errors.ErrorInfo.standard(413, technical)
        return errors.error_response(request, info, privileged=settings.DEBUG)

    @staticmethod
    def _invalid_text(request: HttpRequest) -> HttpResponse | None:
        """400 for a query parameter or form field the database could not store (NUL), before
        any view passes it to a query: every filter, search box and lookup at once."""
        try:
            fields = list(request.GET.lists())
            if request.content_type == "application/x-www-form-urlencoded":
                fields += list(request.POST.lists())
        except (SuspiciousOperation, ValueError):
            return None  # malformed: Django's own handling answers it when the view reads it
        texts = [request.path_info]
        for key, values in fields:
            texts += [key, *values]
        problem = first_text_problem(texts)
        if problem is None:
            return None
        info = errors.ErrorInfo(400, "invalid_text", INVALID_TEXT_MESSAGE, False, problem)
        return errors.error_response(request, info, privileged=settings.DEBUG)

    @staticmethod
    def _needs_envelope(request: HttpRequest, response: HttpResponse) -> bool:
        return isinstance(response, HttpResponseNotAllowed) and errors.wants_json(request)

    @staticmethod
    def _not_allowed(
        request: HttpRequest, response: HttpResponse, privileged: bool
    ) -> HttpResponse:
        allowed = response.get("Allow", "")
        info = errors.ErrorInfo.standard(405, f"{request.method} not allowed; allowed: {allowed}")
        enveloped = errors.error_response(request, info, privileged=privileged)
        enveloped["Allow"] = allowed
        return enveloped

    @staticmethod
    def _finish(request: HttpRequest, response: HttpResponse, started: float) -> HttpResponse:
        elapsed = time.perf_counter() - started
        route = route_of(request)
        response[REQUEST_ID_HEADER] = request.request_id  # type: ignore[attr-defined]
        response["X-Response-Time"] = f"{elapsed * 1000:.1f}ms"
        observe_request(request.method or "", route, response.status_code, elapsed)
        level = (
            logging.ERROR
            if elapsed >= settings.VERY_SLOW_REQUEST_THRESHOLD_SECONDS
            else logging.WARNING
            if elapsed >= settings.SLOW_REQUEST_THRESHOLD_SECONDS
            else None
        )
        if level is not None and not route.startswith(SLOW_LOG_EXEMPT_ROUTES):
            logger.log(
                level,
                "slow request: %s %s took %.0f ms (status %s)",
                request.method,
                route,
                elapsed * 1000,
                response.status_code,
                extra={
                    "route": route,
                    "duration_ms": round(elapsed * 1000, 1),
                    "status": response.status_code,
                },
            )
        return response


def release_database_connections(get_response: Any) -> Any:
    """Give the request's database connection back to the pool as soon as the sync part of
    the request is done, in the thread that used it.

    Sync-only and right below RequestMonitoringMiddleware, so every later middleware and the
    view run inside it on the request's thread. Django would close the connection only at
    request_finished, after the response has gone back through the async layers; for a 4xx
    or 5xx those first log the response on the event loop's default thread pool, the pool
    health checks and interviewer moves also use. In a burst, requests then held every pooled
    connection while waiting for threads that were themselves waiting for a connection, until
    DB_POOL_TIMEOUT broke the deadlock. Closing here is what request_finished does (the pool
    takes the connection back, CONN_MAX_AGE being 0), only earlier.
    """

    def middleware(request: HttpRequest) -> Any:
        try:
            return get_response(request)
        finally:
            for connection in connections.all(initialized_only=True):
                # An atomic block still open here is not the request's (ATOMIC_REQUESTS is
                # off): it belongs to the caller (a test's transaction), which closes it.
                if not connection.in_atomic_block:
                    connection.close_if_unusable_or_obsolete()

    return middleware


def sync_middleware_chain(get_response: Any) -> Any:
    """Last in MIDDLEWARE and sync-only, so every middleware runs in sync mode on the
    request's one thread, also for the coroutine views (the health reports) that keep Django's
    async handler (interviewsite/http_handler.py serves every other view in one hop). Without
    a sync-only middleware at the bottom, the chain below release_database_connections ran in
    async mode there, where each of Django's middleware (MiddlewareMixin) crosses to a thread
    and back for its process_request and again for its process_response: 17 crossings for one
    request.
    """
    return get_response
