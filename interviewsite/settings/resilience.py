"""The resilience app: question cache, dead-letter queue, circuit breakers."""

from interviewsite.settings.base import env
from interviewsite.settings.data import REDIS_URL, redis_db

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
BREAKER_REDIS_URL = redis_db(REDIS_URL, 3) if REDIS_URL else ""
# Initial policies of breakers created on first use (editable in the admin afterwards).
# `rag` guards the knowledge-base search's calls out (embeddings): it opens sooner than the
# LLM's breakers and retries sooner, since an interview goes on ungrounded without it.
BREAKERS = {"rag": {"failure_threshold": 3, "recovery_timeout": 30.0}}
