"""The beat heartbeat: a periodic task run by a worker records when it last ran.

Beat sends `monitoring.tasks.beat_heartbeat` every minute (a django-celery-beat schedule made
by this app's migration), a worker runs it, and the health check warns when the last run is
older than three minutes: beat is down, or no worker consumes the `maintenance` queue.

Where the time is kept must be visible to every process: the cache when it is shared
(Redis), else a file in VAR_DIR (the embedded default's local-memory cache is per process,
and all its processes share one machine and one VAR_DIR).
"""

import os
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache

BEAT_TASK_NAME = "monitoring.tasks.beat_heartbeat"
BEAT_SCHEDULE_NAME = "monitoring: beat heartbeat"
BEAT_INTERVAL_SECONDS = 60
BEAT_EXPIRES_SECONDS = 50  # a heartbeat nobody ran within this is dropped, not run late
BEAT_STALE_AFTER_SECONDS = 180
BEAT_CACHE_KEY = "monitoring:beat:last_run"
_CACHE_TIMEOUT = 7 * 24 * 3600


def heartbeat_store() -> str:
    """`cache` when the default cache is shared between processes, else `file`."""
    return "file" if isinstance(caches["default"], LocMemCache | DummyCache) else "cache"


def _heartbeat_file() -> Path:
    return Path(settings.VAR_DIR) / "monitoring" / "beat-last-run"


def beat_heartbeat_record(*, now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    if heartbeat_store() == "cache":
        cache.set(BEAT_CACHE_KEY, now.isoformat(), timeout=_CACHE_TIMEOUT)
        return now
    path = _heartbeat_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    partial.write_text(now.isoformat())
    partial.replace(path)  # atomic: a reader never sees half a timestamp
    return now


def beat_last_run() -> datetime | None:
    """When the heartbeat last ran; None if it never has. Cache errors propagate."""
    if heartbeat_store() == "cache":
        value = cache.get(BEAT_CACHE_KEY)
    else:
        try:
            value = _heartbeat_file().read_text().strip()
        except FileNotFoundError:
            value = None
    return datetime.fromisoformat(value) if value else None
