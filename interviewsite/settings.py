"""Settings, read once from the environment.

With no environment at all the project runs embedded (SQLite in var/, in-memory channel layer,
a file-based Celery broker, local-memory cache); setting DATABASE_URL / REDIS_URL switches each
piece to its production engine. Every variable is documented in docs/settings.md.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from interviewsite.redis_databases import (
    DEFAULT_SERVER_DATABASES,
    InvalidRedisUrl,
    missing_databases_message,
)

BASE_DIR = Path(__file__).resolve().parent.parent

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

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="")
# The sockets' database calls run on a pool of this many threads (interviews/socket_calls.py),
# so one socket stuck on a slow commit does not queue the others. SQLite takes one writer at
# a time anyway: one thread there.
WS_DB_THREADS = env.int(
    "WS_DB_THREADS",
    default=min(8, (os.cpu_count() or 1) + 4) if DATABASE_URL.startswith("postgres") else 1,
)
# A web process's threads that hold a connection at once: the sockets' database threads, the
# interviewer moves on their own pool (interviews/shutdown.py: min(32, CPUs + 4) threads, each
# holding its connection while the LLM answers), and room for HTTP requests
# (docs/architecture.md, "Sizing connections").
DB_POOL_MAX_SIZE_DEFAULT = WS_DB_THREADS + min(32, (os.cpu_count() or 1) + 4) + 8
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    # Health checks let a restarted PostgreSQL be survived without restarting processes.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=DB_POOL_MAX_SIZE_DEFAULT)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX_SIZE:
        # One bounded pool per process (psycopg 3's): without it Django opens a connection
        # per thread, and ASGI runs every concurrent request on a thread of its own, so a
        # burst of requests opened one connection each until PostgreSQL refused more. A
        # thread borrows a connection for a request, a socket's database call or a task and
        # gives it back; past DB_POOL_MAX_SIZE, requests wait up to DB_POOL_TIMEOUT and then
        # get a 503. The pool keeps connections itself, so CONN_MAX_AGE must be 0.
        # DB_POOL_MAX_SIZE=0: no pool (one connection per thread, kept DB_CONN_MAX_AGE).
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        # Django's backend, with the pool's check before lending a connection run at most once
        # per connection every DB_POOL_CHECK_SECONDS (interviewsite/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "interviewsite.postgresql"
        DB_POOL_CHECK_SECONDS = env.float("DB_POOL_CHECK_SECONDS", default=5.0)
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "interviewsite.sqlite3",
            # WAL lets the web, worker and beat processes read while one writes.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: separate DBs so a FLUSHDB of one never takes the others with it -------------------
REDIS_URL = env.str("REDIS_URL", default="")
# How many logical databases the Redis server has (its `databases` setting). REDIS_URL's four
# must fit: refused here when they cannot, checked against the real server at start-up.
REDIS_SERVER_DATABASES = env.int("REDIS_SERVER_DATABASES", default=DEFAULT_SERVER_DATABASES)
if REDIS_URL:
    try:
        _redis_problem = missing_databases_message(
            REDIS_URL, REDIS_SERVER_DATABASES, where="a Redis server (REDIS_SERVER_DATABASES)"
        )
    except InvalidRedisUrl as exc:
        raise ImproperlyConfigured(str(exc)) from exc
    if _redis_problem:
        raise ImproperlyConfigured(_redis_problem)


def _redis_db(url: str, offset: int) -> str:
    """The same Redis server, the logical database `offset` places after REDIS_URL's own.

    REDIS_URL's database number is the first of four (broker, channel layer, cache, breaker
    state), so two deployments (or two test runs) can share one Redis server: /0 and /4.
    """
    parts = urlsplit(url)
    base = parts.path.strip("/") or "0"
    if not base.isdigit():
        raise ImproperlyConfigured(f"REDIS_URL must end in a database number, not {base!r}.")
    return urlunsplit(parts._replace(path=f"/{int(base) + offset}"))


CACHE_TIMEOUT_SECONDS = env.float("CACHE_TIMEOUT_SECONDS", default=2.0)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # An explicit read timeout above channels-redis's 5 s blocking receive: redis-py
                # 8's default of 5 s races it and kills idle sockets (docs/operations.md).
                "hosts": [{"address": _redis_db(REDIS_URL, 1), "socket_timeout": 30}],
                "prefix": "interviewsite:ch",
                # Every socket of a process shares one inbox in Redis, and this is its size
                # (channels-redis's default of 100 is per inbox, not per socket): when it is
                # full, group messages to the process are dropped and sends fail.
                "capacity": env.int("CHANNEL_LAYER_CAPACITY", default=5000),
            },
        }
    }
    CACHES = {
        "default": {
            # Django's RedisCache, one connection pool per process (see the module).
            "BACKEND": "interviewsite.redis_cache.SharedPoolRedisCache",
            "LOCATION": _redis_db(REDIS_URL, 2),
            # A Redis that stops answering must fail cache calls, not hang them: every socket
            # frame is counted here (the frame limit), and a failed count falls back to a
            # per-socket one. redis-py waits forever by default.
            "OPTIONS": {
                "socket_connect_timeout": CACHE_TIMEOUT_SECONDS,
                "socket_timeout": CACHE_TIMEOUT_SECONDS,
            },
            "KEY_PREFIX": "interviewsite",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=_redis_db(REDIS_URL, 0) if REDIS_URL else "filesystem://"
)
_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Above the hard time limit plus the longest countdown (EVALUATION_RETRY_MAX_SECONDS),
        # or Redis redelivers a task that is still running or waiting for its countdown. A
        # worker refuses to start otherwise (interviewsite/celery.py; docs/operations.md).
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The soft limit raises SoftTimeLimitExceeded in the task (it may clean up, then fails); the
# hard limit kills the pool process, and the task lands in the dead-letter queue.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)

# --- LLM ------------------------------------------------------------------------------------
LLM_PROVIDERS = env.list("LLM_PROVIDERS", default=["offline"])
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="https://api.openai.com/v1")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
ANTHROPIC_BASE_URL = env.str("ANTHROPIC_BASE_URL", default="https://api.anthropic.com")
ANTHROPIC_API_KEY = env.str("ANTHROPIC_API_KEY", default="")
ANTHROPIC_MODEL = env.str("ANTHROPIC_MODEL", default="claude-sonnet-4-5")
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=15.0)
# HTTP tries per provider and step (the first included); evaluations count their own attempts.
MAX_RETRY_ATTEMPTS = env.int("MAX_RETRY_ATTEMPTS", default=3)
RETRY_BASE_DELAY = env.float("RETRY_BASE_DELAY", default=1.0)
RETRY_MAX_DELAY = env.float("RETRY_MAX_DELAY", default=10.0)
# Evaluations run in Celery, where waiting out a provider outage is cheap: longer delays.
EVALUATION_RETRY_BASE_SECONDS = env.int("EVALUATION_RETRY_BASE_SECONDS", default=10)
EVALUATION_RETRY_MAX_SECONDS = env.int("EVALUATION_RETRY_MAX_SECONDS", default=300)
# Runs of `evaluate_interview` in all before the evaluation is marked incomplete.
EVALUATION_MAX_ATTEMPTS = env.int("EVALUATION_MAX_ATTEMPTS", default=3)
# While every provider's breaker is open an evaluation waits (no attempt spent) this many times.
EVALUATION_BREAKER_WAITS = env.int("EVALUATION_BREAKER_WAITS", default=12)

# --- Interviews -----------------------------------------------------------------------------
INVITE_TTL_HOURS = env.int("INVITE_TTL_HOURS", default=168)
INVITE_REMINDER_HOURS = env.int("INVITE_REMINDER_HOURS", default=24)
INVITE_EMAIL_MAX_RETRIES = env.int("INVITE_EMAIL_MAX_RETRIES", default=5)
INVITE_EMAIL_RETRY_BASE_SECONDS = env.int("INVITE_EMAIL_RETRY_BASE_SECONDS", default=30)
INVITE_CSV_MAX_BYTES = env.int("INVITE_CSV_MAX_BYTES", default=262_144)
INVITE_CSV_MAX_ROWS = env.int("INVITE_CSV_MAX_ROWS", default=500)

# Email: printed to the worker's log (console backend) unless an SMTP host is configured.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.smtp.EmailBackend"
        if EMAIL_HOST
        else "django.core.mail.backends.console.EmailBackend"
    ),
)
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="interviews@localhost")
MAX_ANSWER_CHARS = env.int("MAX_ANSWER_CHARS", default=8000)
WS_PING_INTERVAL = env.int("WS_PING_INTERVAL", default=20)
WS_IDLE_TIMEOUT = env.int("WS_IDLE_TIMEOUT", default=60)
WS_SEND_TIMEOUT = env.int("WS_SEND_TIMEOUT", default=5)
WS_MAX_FRAME_BYTES = env.int("WS_MAX_FRAME_BYTES", default=65536)
WS_RATE_LIMIT_MESSAGES = env.int("WS_RATE_LIMIT_MESSAGES", default=30)
WS_RATE_LIMIT_WINDOW_SECONDS = env.float("WS_RATE_LIMIT_WINDOW_SECONDS", default=10.0)
CODE_RUNS_PER_WINDOW = env.int("CODE_RUNS_PER_WINDOW", default=10)
CODE_RUNS_WINDOW_SECONDS = env.float("CODE_RUNS_WINDOW_SECONDS", default=60.0)
WS_REPLAY_CAP = env.int("WS_REPLAY_CAP", default=200)
MAX_REQUEST_SIZE_BYTES = env.int("MAX_REQUEST_SIZE_BYTES", default=1_048_576)
SLOW_REQUEST_THRESHOLD_SECONDS = env.float("SLOW_REQUEST_THRESHOLD_SECONDS", default=1.0)
VERY_SLOW_REQUEST_THRESHOLD_SECONDS = env.float("VERY_SLOW_REQUEST_THRESHOLD_SECONDS", default=5.0)
STUCK_EPISODE_THRESHOLD_HOURS = env.float("STUCK_EPISODE_THRESHOLD_HOURS", default=2.0)
# A pending evaluation nobody claimed for this long has no task coming: the sweep sends it again.
EVALUATION_PENDING_RESEND_MINUTES = env.int("EVALUATION_PENDING_RESEND_MINUTES", default=30)
INTERVIEW_ABANDON_AFTER_MINUTES = env.int("INTERVIEW_ABANDON_AFTER_MINUTES", default=60)

# --- The candidate's journey (docs/architecture.md, "The candidate's journey") -----------------
# Off only where notice and consent are collected before the invite link is sent.
INTERVIEW_CONSENT_REQUIRED = env.bool("INTERVIEW_CONSENT_REQUIRED", default=True)
CANDIDATE_NOTICE_TEXT = env.str(
    "CANDIDATE_NOTICE_TEXT",
    default=(
        "This interview is conducted by an AI interviewer: it asks the questions and follow-ups, "
        "and an AI evaluates your written answers against the role's criteria. The evaluation "
        "is advice for the hiring team; a person reviews your answers and makes the decision. "
        "Your answers and their evaluation are kept with your application."
    ),
)
# Stored with each consent: change it whenever the notice text changes.
CANDIDATE_NOTICE_VERSION = env.str("CANDIDATE_NOTICE_VERSION", default="1")
CANDIDATE_CONTACT = env.str("CANDIDATE_CONTACT", default="the recruiter who sent you this link")
CANDIDATE_ACCOMMODATION_CONTACT = env.str(
    "CANDIDATE_ACCOMMODATION_CONTACT", default="the recruiter who sent you this link"
)
CANDIDATE_NEXT_STEPS = env.str(
    "CANDIDATE_NEXT_STEPS",
    default=(
        "A person on the hiring team reviews your answers and will contact you about the next "
        "step, usually within a few working days."
    ),
)
# An answer arriving this long after a timed interview's limit is still kept (it was in flight).
INTERVIEW_TIME_GRACE_SECONDS = env.int("INTERVIEW_TIME_GRACE_SECONDS", default=10)

# --- Question cache (resilience app; docs/architecture.md, "Question cache") ------------------
QUESTION_CACHE_BACKEND = env.str(
    "QUESTION_CACHE_BACKEND", default="resilience.question_cache.backends.database.DatabaseBackend"
)
QUESTION_CACHE_TTL_DAYS = env.int("QUESTION_CACHE_TTL_DAYS", default=7)
QUESTION_CACHE_MAX_PER_KEY = env.int("QUESTION_CACHE_MAX_PER_KEY", default=10)
# What the pre-warm task fills while the breakers are closed: "topic:difficulty:language" items.
QUESTION_CACHE_PREWARM = env.list("QUESTION_CACHE_PREWARM", default=[])
# Where pre-warm gets its questions (the resilience app never names the interviews app itself).
QUESTION_CACHE_SOURCE = env.str(
    "QUESTION_CACHE_SOURCE", default="interviews.llm.prewarm_source.LLMQuestionSource"
)

# --- Dead-letter queue (resilience app; docs/architecture.md, "Dead-letter queue") ------------
DLQ_RETENTION_DAYS = env.int("DLQ_RETENTION_DAYS", default=30)
DLQ_MAX_ROWS = env.int("DLQ_MAX_ROWS", default=10_000)
# /health/ warns above this many pending dead letters, or when the oldest waited this long.
DLQ_BACKLOG_WARNING = env.int("DLQ_BACKLOG_WARNING", default=5)
DLQ_BACKLOG_MAX_AGE_HOURS = env.float("DLQ_BACKLOG_MAX_AGE_HOURS", default=24.0)
# Tasks whose terminal failure alerts (mail_admins and ALERT_WEBHOOK_URL).
CRITICAL_TASKS = env.list("CRITICAL_TASKS", default=["interviews.tasks.evaluate_interview"])
ALERT_WEBHOOK_URL = env.str("ALERT_WEBHOOK_URL", default="")
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_SIZE_BYTES

# --- Security -------------------------------------------------------------------------------
# docs/architecture.md, "Security". "Production" is DEBUG off with DATABASE_URL set: cookies are
# then HTTPS-only unless turned off explicitly. The SSL redirect and the proxy header stay
# opt-in, because only the operator knows whether TLS ends at a proxy (and the test stacks run plain
# HTTP on 127.0.0.1); `check --deploy` names whatever is left unset.
_PRODUCTION = not DEBUG and bool(DATABASE_URL)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_PRODUCTION)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers and scrapers usually probe the process directly over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/live/$", r"^health/ready/$", r"^metrics$"]
# The header a TLS-terminating proxy sets (HTTP_X_FORWARDED_PROTO or X-Forwarded-Proto);
# "https" in it means secure. Only if the proxy always overwrites it: clients can send it too.
_PROXY_SSL_HEADER = env.str("SECURE_PROXY_SSL_HEADER", default="").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_").removeprefix("HTTP_"), "https")
    if _PROXY_SSL_HEADER
    else None
)
# Sent only on HTTPS responses, so harmless on plain-HTTP development and test stacks.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if _PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Failed invite-token attempts per client address per minute before 429 / close 4429; 0 = off.
TOKEN_FAILURES_PER_MINUTE = env.int("TOKEN_FAILURES_PER_MINUTE", default=20)

# --- Content-Security-Policy (django-csp; docs/architecture.md, "Content-Security-Policy") -----
# Scripts only from this site's files (or with the response's nonce: {{ request.csp_nonce }});
# no page has an inline script or handler. Inline style attributes stay allowed (the admin's
# templates use them; they cannot run code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],  # fetch and the candidate's WebSocket, same origin only
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Admin login lock-out (django-axes; docs/architecture.md, "Admin login lock-out") ----------
# Axes' backend first: it refuses a locked-out username and address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Wrong passwords for one username from one address before that pair is locked out (429).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# Hours a lock-out lasts (fractions allowed); 0 = until `manage.py axes_reset…`.
_AXES_COOLOFF_HOURS = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_COOLOFF_TIME = _AXES_COOLOFF_HOURS or None
# Per username and address together: a guesser cannot lock a colleague out from elsewhere, and
# one address cannot try many passwords for one account.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The address is REMOTE_ADDR, which uvicorn sets from X-Forwarded-For only for the proxies in
# --forwarded-allow-ips, like the invite-token limit.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# Log the username and address in the clear ("AXES: Locking out {username: ..."): operators
# need them to see who was locked out and to unlock (axes masks both by default).
AXES_SENSITIVE_PARAMETERS: list[str] = []

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

# --- Circuit breakers -----------------------------------------------------------------------
# Dotted path of the state store class (docs/architecture.md, "Circuit breakers").
BREAKER_STORE = env.str(
    "BREAKER_STORE",
    default=(
        "resilience.breakers.stores.redis.RedisStore"
        if REDIS_URL
        else "resilience.breakers.stores.database.DatabaseStore"
    ),
)
BREAKER_REDIS_URL = _redis_db(REDIS_URL, 3) if REDIS_URL else ""
# Initial policies of breakers created on first use (editable in the admin afterwards).
# `rag` guards the knowledge-base search's calls out (embeddings): it opens sooner than the
# LLM's breakers and retries sooner, since an interview goes on ungrounded without it.
BREAKERS = {"rag": {"failure_threshold": 3, "recovery_timeout": 30.0}}

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

# --- Code sandbox (sandbox app; docs/sandbox.md, docs/settings.md) --------------------------
# Read once per process into sandbox.conf.SandboxSettings, validated at start-up.
SANDBOX_ENGINE = env.str("SANDBOX_ENGINE", default="sandbox.engines.local.LocalEngine")
SANDBOX_CPU_SECONDS = env.float("SANDBOX_CPU_SECONDS", default=5.0)
SANDBOX_WALL_SECONDS = env.float("SANDBOX_WALL_SECONDS", default=10.0)
SANDBOX_MEMORY_MB = env.int("SANDBOX_MEMORY_MB", default=256)
SANDBOX_PROCESSES = env.int("SANDBOX_PROCESSES", default=32)
SANDBOX_FILE_MB = env.int("SANDBOX_FILE_MB", default=16)
SANDBOX_OUTPUT_KB = env.int("SANDBOX_OUTPUT_KB", default=64)
SANDBOX_MAX_CODE_BYTES = env.int("SANDBOX_MAX_CODE_BYTES", default=65536)
SANDBOX_MAX_TESTS = env.int("SANDBOX_MAX_TESTS", default=50)
SANDBOX_MAX_TESTS_BYTES = env.int("SANDBOX_MAX_TESTS_BYTES", default=262144)
SANDBOX_PYTHON = env.str("SANDBOX_PYTHON", default="")  # "": the system's python3
SANDBOX_NODE = env.str("SANDBOX_NODE", default=None)  # unset: node on PATH; "": no JavaScript
SANDBOX_ISOLATION = env.str("SANDBOX_ISOLATION", default="auto")
SANDBOX_UID_BASE = env.int("SANDBOX_UID_BASE", default=200000)
SANDBOX_UID_COUNT = env.int("SANDBOX_UID_COUNT", default=256)
SANDBOX_HIDE_PATHS = env.list("SANDBOX_HIDE_PATHS", default=[])
SANDBOX_STATE_DIR = env.str("SANDBOX_STATE_DIR", default=str(VAR_DIR / "sandbox"))
SANDBOX_PISTON_URL = env.str("SANDBOX_PISTON_URL", default="")
# language=version pairs Piston runs each language with.
SANDBOX_PISTON_RUNTIMES = env.dict(
    "SANDBOX_PISTON_RUNTIMES", default={"python": "3.10.0", "javascript": "18.15.0"}
)
SANDBOX_PISTON_TIMEOUT_SECONDS = env.float("SANDBOX_PISTON_TIMEOUT_SECONDS", default=5.0)
# The sandbox task's waits while the engine is unavailable (exponential, full jitter, capped;
# at least what the breaker asks). The cap stays below EVALUATION_RETRY_MAX_SECONDS, which the
# broker's visibility timeout is checked against.
SANDBOX_RUN_RETRIES = env.int("SANDBOX_RUN_RETRIES", default=5)
SANDBOX_RUN_RETRY_BASE_SECONDS = env.int("SANDBOX_RUN_RETRY_BASE_SECONDS", default=5)
SANDBOX_RUN_RETRY_MAX_SECONDS = env.int("SANDBOX_RUN_RETRY_MAX_SECONDS", default=120)

# --- Knowledge bases (retrieval app; docs/retrieval.md, docs/architecture.md "Knowledge bases") --
# Read once per process into retrieval.conf.RetrievalSettings, validated at start-up.
RETRIEVAL_MAX_DOCUMENT_BYTES = env.int("RETRIEVAL_MAX_DOCUMENT_BYTES", default=5 * 1024 * 1024)
RETRIEVAL_MAX_TEXT_CHARS = env.int("RETRIEVAL_MAX_TEXT_CHARS", default=500_000)
RETRIEVAL_MAX_PDF_PAGES = env.int("RETRIEVAL_MAX_PDF_PAGES", default=200)
RETRIEVAL_MAX_DOCUMENTS = env.int("RETRIEVAL_MAX_DOCUMENTS", default=50)  # per knowledge base
RETRIEVAL_PASSAGE_CHARS = env.int("RETRIEVAL_PASSAGE_CHARS", default=800)
RETRIEVAL_TOP_K = env.int("RETRIEVAL_TOP_K", default=4)
# An OpenAI-compatible /v1/embeddings endpoint; empty: lexical search only.
EMBEDDINGS_BASE_URL = env.str("EMBEDDINGS_BASE_URL", default="")
EMBEDDINGS_API_KEY = env.str("EMBEDDINGS_API_KEY", default="")
EMBEDDINGS_MODEL = env.str("EMBEDDINGS_MODEL", default="text-embedding-3-small")
EMBEDDINGS_TIMEOUT_SECONDS = env.float("EMBEDDINGS_TIMEOUT_SECONDS", default=1.0)
