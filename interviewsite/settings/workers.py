"""Celery: the broker, and what a task may take."""

from interviewsite.settings.base import VAR_DIR, env
from interviewsite.settings.data import REDIS_URL, redis_db

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=redis_db(REDIS_URL, 0) if REDIS_URL else "filesystem://"
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
