"""Logging and monitoring."""

from django.core.exceptions import ImproperlyConfigured

from interviewsite.settings.base import env
from interviewsite.settings.data import DATABASE_URL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every record gets the current request id; the format (json or console) follows
    # LOG_FORMAT (see "Monitoring" below).
    # `scrub_secrets` redacts invite tokens (/i/<token>/, ?token=) and bearer tokens from
    # every record before it is written (docs/architecture.md, "Security").
    "filters": {
        "request_id": {"()": "monitoring.logging.RequestIdFilter"},
        "scrub_secrets": {"()": "monitoring.logging.SecretScrubFilter"},
    },
    "formatters": {"default": {"()": "monitoring.logging.build_formatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "default",
            "filters": ["request_id", "scrub_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # uvicorn's access and connection lines print paths with their query strings: route
        # them through the scrubbing handler. Django configures logging after uvicorn (when
        # the app is imported), so this replaces uvicorn's own handlers; levels stay
        # uvicorn's (--log-level).
        "uvicorn": {"handlers": ["console"], "propagate": False},
        "uvicorn.access": {"handlers": ["console"], "propagate": False},
    },
}

# --- Monitoring -----------------------------------------------------------------------------
# docs/architecture.md, "Monitoring". Empty tokens disable that way in.
HEALTH_TOKEN = env.str("HEALTH_TOKEN", default="")
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
QUEUE_DEPTH_WARNING = env.int("QUEUE_DEPTH_WARNING", default=100)
# JSON lines for log pipelines in production; readable lines in the embedded default.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if DATABASE_URL else "console")
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or console, not {LOG_FORMAT!r}.")
# Workers log through LOGGING above (same format, request ids) instead of Celery's own setup.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Sources of /health/workers/ "failed" counts: callables returning {queue: count}, summed.
HEALTH_FAILED_TASK_COUNTERS = ["monitoring.selectors.pending_dead_letters_by_queue"]
CSRF_FAILURE_VIEW = "monitoring.errors.csrf_failure"
