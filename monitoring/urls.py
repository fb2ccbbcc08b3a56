"""Health and metrics endpoints, each with its checks listed here.

/health/live/ and /health/ready/ are public and cheap (load balancers and orchestrators poll
them); the detailed reports need staff or HEALTH_TOKEN; /metrics needs METRICS_TOKEN or an
allowed address.
"""

from django.urls import path

from monitoring import checks, ops_checks, views
from monitoring.access import staff_or_health_token
from monitoring.redis_check import RedisDatabases

# What a web process needs to serve candidates; a failure takes it out of rotation.
READY_CHECKS = (checks.Database, checks.Cache, checks.ChannelLayer, RedisDatabases)

# Background work: workers on every declared queue, queue backlog, the beat heartbeat.
CELERY_CHECKS = (checks.CeleryWorkers, checks.QueueDepth, checks.BeatHeartbeat)

# Operations checks: open circuit breakers, dead-letter backlog, stuck interviews.
OPERATIONS_CHECKS = (
    ops_checks.CircuitBreakers,
    ops_checks.DeadLetterBacklog,
    ops_checks.StuckWork,
)

FULL_CHECKS = (*READY_CHECKS, *CELERY_CHECKS, *OPERATIONS_CHECKS)

urlpatterns = [
    path("health/live/", views.LiveView.as_view(), name="health_live"),
    path("health/ready/", views.HealthView.as_view(checks=READY_CHECKS), name="health_ready"),
    path(
        "health/",
        staff_or_health_token(views.HealthView.as_view(checks=FULL_CHECKS)),
        name="health",
    ),
    path("health/workers/", staff_or_health_token(views.workers), name="health_workers"),
    path(
        "health/circuit-breakers/",
        staff_or_health_token(views.circuit_breakers),
        name="health_circuit_breakers",
    ),
    path(
        "health/infrastructure/",
        staff_or_health_token(views.InfrastructureView.as_view(checks=FULL_CHECKS)),
        name="health_infrastructure",
    ),
    path("metrics", views.metrics, name="metrics"),
]
