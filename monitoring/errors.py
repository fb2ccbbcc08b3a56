"""One error envelope for every JSON error, and plain HTML pages for everyone else.

    {"error": {"code", "message", "technical_message", "retryable", "error_id", "request_id"}}

`technical_message` is present only for staff or with DEBUG on. JSON is chosen for requests
under /api/, /health/ and /metrics and for any request that accepts application/json; other
requests get templates/<status>.html (or 500.html for 5xx), which never show internals.

Typed errors: raise an ApiError subclass (RateLimited, ...). Code in lower layers that must
not import this app gets the same treatment by carrying `http_status` (int), `code` (str) and
`retryable` (bool) attributes; an open circuit breaker (resilience's BreakerOpen) becomes 503.
"""

import dataclasses
import logging
import math
import sys
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from monitoring.context import current_request_id

logger = logging.getLogger(__name__)

JSON_PATH_PREFIXES = ("/api/", "/health/", "/metrics")

# status: (code, public message, retryable)
STANDARD_ERRORS: dict[int, tuple[str, str, bool]] = {
    400: ("bad_request", "The request could not be understood.", False),
    401: ("unauthorized", "Authentication is required.", False),
    403: ("forbidden", "You do not have permission to do that.", False),
    404: ("not_found", "Nothing was found at this address.", False),
    405: ("method_not_allowed", "This method is not allowed here.", False),
    413: ("request_too_large", "The request body is too large.", False),
    429: ("rate_limited", "Too many requests; please slow down and retry later.", True),
    500: ("internal_error", "Something went wrong on our side; it has been logged.", False),
    503: ("service_unavailable", "The service is temporarily unavailable; please retry.", True),
}


class ApiError(Exception):
    """An error whose message is meant for the client."""

    http_status = 400
    code = "bad_request"
    retryable = False

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        self.message = message or STANDARD_ERRORS.get(self.http_status, ("", "", False))[1]
        self.retry_after = retry_after
        super().__init__(self.message)


class RateLimited(ApiError):
    http_status = 429
    code = "rate_limited"
    retryable = True


@dataclasses.dataclass(frozen=True)
class ErrorInfo:
    status: int
    code: str
    message: str
    retryable: bool
    technical: str = ""  # for staff and DEBUG only
    retry_after: float | None = None

    @classmethod
    def standard(cls, status: int, technical: str = "") -> "ErrorInfo":
        code, message, retryable = STANDARD_ERRORS.get(status, STANDARD_ERRORS[500])
        return cls(status, code, message, retryable, technical)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PATH_PREFIXES) or "application/json" in request.headers.get(
        "Accept", ""
    )


def is_privileged(request: HttpRequest) -> bool:
    """DEBUG, or a staff user. Reads request.user, so call it from sync code only."""
    if settings.DEBUG:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_staff)


def _technical(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def _breaker_open_type() -> type[BaseException] | None:
    # Imported when needed: monitoring sits above resilience, but the import must not be what
    # breaks error handling if the breaker package fails to import.
    try:
        from resilience.breakers import BreakerOpen
    except ImportError:
        return None
    return BreakerOpen


def _is_breaker_open(exc: BaseException) -> bool:
    breaker_open = _breaker_open_type()
    if breaker_open is not None:
        return isinstance(exc, breaker_open)
    return any(cls.__name__ == "BreakerOpen" for cls in type(exc).__mro__)


def exception_info(exc: BaseException) -> ErrorInfo | None:
    """How a typed exception is answered; None for anything else."""
    status, code, retryable = (
        getattr(exc, "http_status", None),
        getattr(exc, "code", None),
        getattr(exc, "retryable", None),
    )
    if isinstance(status, int) and isinstance(code, str) and isinstance(retryable, bool):
        message = getattr(exc, "message", "") or ErrorInfo.standard(status).message
        retry_after = getattr(exc, "retry_after", None)
        return ErrorInfo(status, code, str(message), retryable, _technical(exc), retry_after)
    if _is_breaker_open(exc):
        info = ErrorInfo.standard(503, _technical(exc))
        return dataclasses.replace(info, retry_after=getattr(exc, "retry_after", None))
    if isinstance(exc, RequestDataTooBig):
        return ErrorInfo.standard(413, _technical(exc))
    if _is_pool_timeout(exc):
        # Every connection of this process's pool stayed busy for DB_POOL_TIMEOUT: a burst,
        # not a bug. Retryable, and the client is told when.
        info = ErrorInfo.standard(503, _technical(exc))
        return dataclasses.replace(info, retry_after=1.0)
    return None


def _is_pool_timeout(exc: BaseException) -> bool:
    """Django's OperationalError around psycopg_pool's PoolTimeout (DB_POOL_TIMEOUT passed)."""
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # the embedded default (SQLite) has no pool
        return False
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, PoolTimeout):
            return True
        cause = cause.__cause__
    return False


def envelope(
    info: ErrorInfo, *, error_id: str, request_id: str | None, privileged: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": info.code,
        "message": info.message,
        "retryable": info.retryable,
        "error_id": error_id,
        "request_id": request_id,
    }
    if privileged:
        body["technical_message"] = info.technical or info.message
    return {"error": body}


def error_response(
    request: HttpRequest,
    info: ErrorInfo,
    *,
    error_id: str | None = None,
    privileged: bool | None = None,
) -> HttpResponse:
    """The JSON envelope or the HTML page for `info`."""
    error_id = error_id or uuid.uuid4().hex
    request_id = current_request_id() or getattr(request, "request_id", None)
    response: HttpResponse
    if wants_json(request):
        if privileged is None:
            privileged = is_privileged(request)
        body = envelope(info, error_id=error_id, request_id=request_id, privileged=privileged)
        response = JsonResponse(body, status=info.status)
    else:
        template = f"{info.status}.html" if info.status in (403, 404) else "500.html"
        context = {"error_id": error_id, "status": info.status, "message": info.message}
        if info.status not in (403, 404, 500):
            context["title"] = info.code.replace("_", " ").capitalize()
        response = HttpResponse(loader.render_to_string(template, context), status=info.status)
    if info.retry_after is not None:
        response["Retry-After"] = str(max(1, math.ceil(info.retry_after)))
    return response


def internal_error_response(request: HttpRequest, exc: BaseException | None) -> HttpResponse:
    """A 500 whose error_id is in the log line that carries the traceback."""
    error_id = uuid.uuid4().hex
    route = getattr(getattr(request, "resolver_match", None), "route", None) or "<unmatched>"
    logger.error(
        "unhandled %s on %s %s (error_id=%s)",
        type(exc).__name__ if exc else "error",
        request.method,
        route,
        error_id,
        exc_info=(type(exc), exc, exc.__traceback__) if exc else False,
        extra={"error_id": error_id, "route": route},
    )
    response = error_response(
        request, ErrorInfo.standard(500, _technical(exc) if exc else ""), error_id=error_id
    )
    if exc is not None:
        # Logged above with the traceback and error_id; Django need not log it again. Without
        # the exception, django.request logs the traceback itself (same request_id).
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response


# --- URLconf error handlers (handler400/403/404/500) ------------------------------------------
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, ErrorInfo.standard(400, _technical(exception or Exception())))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, ErrorInfo.standard(403, _technical(exception or Exception())))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Resolver404's text lists every URL pattern; the path is all a developer needs.
    return error_response(request, ErrorInfo.standard(404, f"No page at {request.path!r}"))


def server_error(request: HttpRequest) -> HttpResponse:
    # Reached for failures outside views (process_exception handles views). On the sync path
    # the exception is still being handled here; on the async path Django calls this from
    # another thread, where it is not.
    return internal_error_response(request, sys.exc_info()[1])


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the envelope for JSON clients, Django's page for browsers."""
    if wants_json(request):
        return error_response(request, ErrorInfo.standard(403, f"CSRF check failed: {reason}"))
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason)
