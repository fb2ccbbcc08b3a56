"""The project's frame: paths, the secret, apps, middleware, templates, static files."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


env = environ.Env()
# Loading settings changes nothing: the directories under VAR_DIR, and the Prometheus
# multiprocess directory (PROMETHEUS_MULTIPROC_DIR, default VAR_DIR/prometheus, emptied by
# `make run` and at every deployment's start), are made by each process's entry point
# (interviewsite/runtime.py).
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
_EMBEDDED_SECRET = "embedded-default-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and env.str("DATABASE_URL", default=""):
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off in production.")
    SECRET_KEY = _EMBEDDED_SECRET
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",  # Content-Security-Policy (docs/architecture.md, "Security")
    "axes",  # admin login lock-out (docs/architecture.md, "Admin login lock-out")
    "channels",
    "django_celery_beat",
    "resilience",
    "sandbox",
    "retrieval",
    "interviews",
    "monitoring",  # before health_check: its `health_check` command replaces the stock one
    "health_check",
]

MIDDLEWARE = [
    # Outermost, so every page gets the policy, the monitoring middleware's own error pages too.
    "csp.middleware.CSPMiddleware",
    "monitoring.middleware.RequestMonitoringMiddleware",  # then: ids, timing, errors for all
    # Sync from here down, on the request's thread: its connection goes back to the pool
    # before the response leaves it (see the function).
    "monitoring.middleware.release_database_connections",
    "django.middleware.security.SecurityMiddleware",
    "interviews.middleware.private_invite_urls",  # after Security: its Referrer-Policy wins
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last but for the marker below, as django-axes asks: it answers a locked-out login
    # after the view ran.
    "axes.middleware.AxesMiddleware",
    # Does nothing; sync-only and last, so the whole chain runs in sync mode (see the function).
    "monitoring.middleware.sync_middleware_chain",
]

ROOT_URLCONF = "interviewsite.urls"
ASGI_APPLICATION = "interviewsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
SERVE_STATIC = env.bool("SERVE_STATIC", default=True)
