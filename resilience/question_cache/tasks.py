"""Question cache beat tasks (purge, pre-warm): thin, the services do the work.

Both are scheduled by migration 0002 (Periodic tasks in the admin) and are safe to run twice:
purge deletes what is expired, pre-warm fills only what is missing.
"""

import dataclasses
import logging
from typing import Any

from celery import shared_task

from resilience.question_cache.prewarm import load_source, prewarm_items
from resilience.question_cache.services import (
    question_cache_prewarm,
    question_cache_purge_expired,
)

logger = logging.getLogger(__name__)


# Names from before this module: the periodic task rows (migration 0002) refer to them.
@shared_task(name="resilience.tasks.question_cache.purge_expired_questions", acks_late=True)
def purge_expired_questions() -> int:
    return question_cache_purge_expired()


@shared_task(name="resilience.tasks.question_cache.prewarm_questions", acks_late=True)
def prewarm_questions() -> dict[str, Any]:
    items = prewarm_items()  # ImproperlyConfigured names every malformed item
    if not items:
        return {"stopped": "nothing_configured"}
    source = load_source()
    if source is None:
        logger.warning("question cache pre-warm: QUESTION_CACHE_SOURCE is empty; skipped")
        return {"stopped": "no_source"}
    report = question_cache_prewarm(items=items, source=source)
    if report.stopped:
        logger.info("question cache pre-warm stopped early: %s", report.stopped)
    return dataclasses.asdict(report)
