"""Where state lives: the database, Redis (one server, four logical databases), caches and the
channel layer."""

import os
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

from interviewsite.redis_databases import (
    DEFAULT_SERVER_DATABASES,
    InvalidRedisUrl,
    missing_databases_message,
)
from interviewsite.settings.base import VAR_DIR, env

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="")
# The sockets' database calls run on a pool of this many threads (interviews/socket_calls.py),
# so one socket stuck on a slow commit does not queue the others. SQLite takes one writer at
# a time anyway: one thread there.
WS_DB_THREADS = env.int(
    "WS_DB_THREADS",
    default=min(8, (os.cpu_count() or 1) + 4) if DATABASE_URL.startswith("postgres") else 1,
)
# HTTP requests for sync views (all but the health reports) run on a pool of this many threads,
# each request start to end on one of them (interviewsite/http_handler.py).
HTTP_THREADS = env.int("HTTP_THREADS", default=8)
# A web process's threads that hold a connection at once: the sockets' database threads, the
# interviewer moves on their own pool (interviews/shutdown.py: min(32, CPUs + 4) threads, each
# holding its connection while the LLM answers), and the HTTP threads (docs/architecture.md,
# "Sizing connections").
DB_POOL_MAX_SIZE_DEFAULT = WS_DB_THREADS + min(32, (os.cpu_count() or 1) + 4) + HTTP_THREADS
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


def redis_db(url: str, offset: int) -> str:
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
            "BACKEND": "interviewsite.channel_layer.RedisChannelLayer",
            "CONFIG": {
                # An explicit read timeout above channels-redis's 5 s blocking receive: redis-py
                # 8's default of 5 s races it and kills idle sockets (docs/operations.md).
                "hosts": [{"address": redis_db(REDIS_URL, 1), "socket_timeout": 30}],
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
            "LOCATION": redis_db(REDIS_URL, 2),
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
