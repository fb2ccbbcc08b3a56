"""Health and metrics endpoints (wired, with their check lists, in monitoring/urls.py)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from health_check.views import HealthCheckView, MediaType
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from monitoring import health
from monitoring.access import metrics_allowed
from monitoring.errors import ErrorInfo, error_response
from monitoring.metrics import scrape_registry


class HealthView(HealthCheckView):
    """django-health-check's view (HTML, JSON, text, feeds, OpenMetrics by Accept or ?format=)
    with three outcomes instead of two: degraded answers 200, unhealthy 503."""

    template_name = "monitoring/health.html"

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.GET.get("format"):
            try:  # the stock view raises ValueError on a malformed Accept header: a 500
                list(MediaType.parse_header(request.headers.get("accept", "*/*")))
            except ValueError:
                info = ErrorInfo.standard(400, "malformed Accept header")
                return error_response(request, info)
        response: HttpResponse = await super().get(request, *args, **kwargs)
        if response.status_code == 500:  # the stock view's "some check raised"
            response.status_code = health.http_status(self.summary())
        return response

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
