"""Health and metrics endpoints (wired, with their check lists, in monitoring/urls.py)."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django.views.generic import View
from health_check.views import HealthCheckView, MediaType
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from monitoring import health
from monitoring.access import metrics_allowed
from monitoring.errors import ErrorInfo, error_response
from monitoring.metrics import scrape_registry

# The stock view's media types, each to its format, tried in the order the client lists them.
MEDIA_FORMATS = {
    "text/plain": "text",
    **dict.fromkeys(("text/html", "application/xhtml+xml", "text/*", "*/*"), "html"),
    **dict.fromkeys(("application/json", "application/*"), "json"),
    "application/atom+xml": "atom",
    "application/rss+xml": "rss",
    "application/openmetrics-text": "openmetrics",
}
NOT_ACCEPTABLE = (
    "Not Acceptable: Supported content types: text/plain, text/html, application/json,"
    " application/atom+xml, application/rss+xml, application/openmetrics-text"
)


class HealthView(HealthCheckView):
    """django-health-check's view (HTML, JSON, text, feeds, OpenMetrics by Accept or ?format=)
    with three outcomes instead of two: degraded answers 200, unhealthy 503."""

    template_name = "monitoring/health.html"

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.results = await health.run_checks(self.get_checks())
        return self.respond(request, **kwargs)

    def respond(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """The results in the format asked for: the stock view's choice (?format=, then the
        first Accept type it serves), with a malformed Accept a 400 instead of its 500."""
        status = health.http_status(self.summary())
        renderers = {
            "json": lambda: self.render_to_response_json(status),
            "text": lambda: self.render_to_response_text(status),
            "atom": self.render_to_response_atom,
            "rss": self.render_to_response_rss,
            "openmetrics": self.render_to_response_openmetrics,
            "html": lambda: self.render_to_response(self.get_context_data(**kwargs), status=status),
        }
        chosen = request.GET.get("format")
        if chosen in renderers:
            return renderers[chosen]()
        try:
            accepted = list(MediaType.parse_header(request.headers.get("accept", "*/*")))
        except ValueError:
            return error_response(request, ErrorInfo.standard(400, "malformed Accept header"))
        for media in accepted:
            if media.mime_type in MEDIA_FORMATS:
                return renderers[MEDIA_FORMATS[media.mime_type]]()
        return HttpResponse(NOT_ACCEPTABLE, status=406, content_type="text/plain")

    def summary(self) -> str:
        return health.overall(health.result_status(r) for r in self.results)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["summary"] = self.summary()
        context["errors"] = context["summary"] == health.UNHEALTHY
        context["rows"] = [(r, health.result_status(r)) for r in self.results]
        return context

    def render_to_response_json(self, status: int) -> JsonResponse:
        payload = health.health_payload(self.results)
        return JsonResponse(payload, status=health.http_status(payload["status"]))


@method_decorator(
    # What the stock (async) dispatch adds, on the sync one.
    [transaction.non_atomic_requests, vary_on_headers("Accept"), never_cache],
    name="dispatch",
)
class LiveView(HealthView):
    """/health/live/: the process answers. No checks, so nothing to wait for: a sync view,
    served start to end on one thread (interviewsite/http_handler.py), as cheap as a probe
    polled every few seconds should be."""

    checks = ()
    dispatch = View.dispatch  # the stock one is a coroutine

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:  # type: ignore[override]
        self.results = []
        return self.respond(request, **kwargs)


class InfrastructureView(HealthView):
    """Every dependency with its status, latency, details and what operators should do."""

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.results = await health.run_checks(self.get_checks())
        payload = health.infrastructure_payload(self.results)
        return JsonResponse(payload, status=health.http_status(payload["status"]))


@never_cache
@require_GET
def workers(request: HttpRequest) -> JsonResponse:
    payload = health.workers_payload()
    return JsonResponse(payload, status=health.http_status(payload["status"]))


@never_cache
@require_GET
def circuit_breakers(request: HttpRequest) -> JsonResponse:
    payload = health.breakers_payload()
    return JsonResponse(payload, status=health.http_status(payload["status"]))


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        info = ErrorInfo.standard(403, "address not in METRICS_ALLOWED_IPS and no METRICS_TOKEN")
        return error_response(request, info, privileged=settings.DEBUG)
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
