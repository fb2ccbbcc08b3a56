"""The dashboard's panels fed by the resilience app: question cache and dead-letter queue.

Each returns None when its source cannot be read, so one broken panel never hides the others.
"""

import logging
from typing import Any

from django.db import DatabaseError
from django.urls import reverse
from django.utils.timesince import timesince
from redis.exceptions import RedisError

from resilience.dlq.models import DeadLetterStatus
from resilience.dlq.selectors import dead_letter_stats
from resilience.question_cache.selectors import question_cache_stats

logger = logging.getLogger(__name__)


def question_cache_summary() -> dict[str, Any] | None:
    try:
        stats = question_cache_stats()
    except (DatabaseError, RedisError, OSError):
        logger.exception("dashboard: cannot read the question cache")
        return None
    rate = stats.hit_rate
    return {
        "total_keys": stats.total_keys,
        "total_questions": stats.total_questions,
        "expired": stats.expired,
        "by_difficulty": stats.by_difficulty,
        "by_language": stats.by_language,
        "hits": stats.hits if stats.hits is not None else "?",
        "misses": stats.misses if stats.misses is not None else "?",
        "hit_rate_percent": None if rate is None else 100 * rate,
        "admin_url": reverse("admin:resilience_cachedquestion_changelist"),
    }


def dead_letter_summary() -> dict[str, Any] | None:
    try:
        stats = dead_letter_stats()
    except DatabaseError:
        logger.exception("dashboard: cannot read the dead-letter queue")
        return None
    oldest = stats.oldest_pending_at
    return {
        "pending": stats.pending,
        "by_task": stats.pending_by_task,
        "oldest_pending_age": timesince(oldest) if oldest is not None else None,
        "pending_url": reverse("admin:resilience_deadletter_changelist")
        + f"?status__exact={DeadLetterStatus.PENDING}",
    }
