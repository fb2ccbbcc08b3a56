from django.contrib import admin
from django.urls import include, path

from monitoring.dashboard import admin_urls as dashboard_urls

urlpatterns = [
    # Before admin/: the admin would answer this path with its own 404.
    path("admin/dashboard/", include(dashboard_urls())),
    path("admin/", admin.site.urls),
    path("", include("monitoring.urls")),  # /health/…, /metrics; check lists live there
    path("", include("resilience.urls")),  # /api/admin/dlq/
    path("", include("interviews.urls")),
]

# One error envelope for JSON clients, plain pages for browsers (monitoring/errors.py).
handler400 = "monitoring.errors.bad_request"
handler403 = "monitoring.errors.permission_denied"
handler404 = "monitoring.errors.page_not_found"
handler500 = "monitoring.errors.server_error"
