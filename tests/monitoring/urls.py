"""The project's URLconf plus views that fail in each typed way (tests only)."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.http import require_POST

from interviewsite.urls import handler400, handler403, handler404, handler500
from interviewsite.urls import urlpatterns as project_urlpatterns
from monitoring.errors import RateLimited
from resilience.breakers import BreakerOpen

logger = logging.getLogger("tests.monitoring")

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def rate_limited(request: HttpRequest) -> JsonResponse:
    raise RateLimited("Slow down.", retry_after=29.2)


def breaker_open(request: HttpRequest) -> JsonResponse:
    raise BreakerOpen("llm.openai", retry_after=12.5)


def crash(request: HttpRequest) -> JsonResponse:
    raise RuntimeError("boom: internal detail")


def forbidden(request: HttpRequest) -> JsonResponse:
    raise PermissionDenied("staff only")


def logs(request: HttpRequest) -> JsonResponse:
    logger.warning("inside the view")
    return JsonResponse({"ok": True})


@require_POST
def accept_post(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"bytes": len(request.body)})


urlpatterns: list[URLPattern | URLResolver] = [
    path("api/test/rate-limited/", rate_limited),
    path("api/test/breaker-open/", breaker_open),
    path("api/test/crash/", crash),
    path("page/crash/", crash),
    path("api/test/forbidden/", forbidden),
    path("api/test/logs/", logs),
    path("api/test/post/", accept_post),
    *project_urlpatterns,
]
