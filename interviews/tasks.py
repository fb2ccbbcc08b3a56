"""Celery tasks: thin wrappers that take ids and call services."""

import logging
from typing import Any

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from interviews.models import Interview
from interviews.services.evaluation import evaluation_fail, evaluation_run
from interviews.services.maintenance import stuck_sweep

logger = logging.getLogger(__name__)


def evaluation_retry_delay(retries: int) -> int:
    """Seconds before retry number `retries + 1`: exponential, capped, full jitter (so a
    provider outage does not get every queued evaluation back at the same moment)."""
    return int(
        get_exponential_backoff_interval(
            factor=settings.EVALUATION_RETRY_BASE_SECONDS,
            retries=retries,
            maximum=settings.EVALUATION_RETRY_MAX_SECONDS,
            full_jitter=True,
        )
    )


@shared_task(bind=True, acks_late=True, max_retries=None)
def evaluate_interview(self: Any, interview_id: int) -> str:
    """Evaluate once; retry any failure with jittered back-off, MAX_RETRY_ATTEMPTS in all.

    Every failure is worth a retry here: provider errors, open breakers and timeouts
    (ProvidersUnavailable, SoftTimeLimitExceeded) pass, and a malformed reply may be fine next
    time. After the last attempt the evaluation is marked incomplete and the exception is
    re-raised, so Celery records the failure (and the dead-letter hook sees it).
    """
    try:
        return evaluation_run(interview_id=interview_id).status
    except Interview.DoesNotExist:
        # A queued task can outlive its interview (deleted by staff); nothing to evaluate.
        logger.warning("interview %s no longer exists; evaluation dropped", interview_id)
        return "missing"
    except Exception as exc:
        attempt = self.request.retries + 1
        if attempt >= settings.MAX_RETRY_ATTEMPTS:
            evaluation_fail(
                interview_id=interview_id,
                reason=f"Failed after {attempt} attempts: {type(exc).__name__}: {exc}",
            )
            raise
        delay = evaluation_retry_delay(self.request.retries)
        logger.warning(
            "evaluation of interview %s failed (attempt %s of %s), retrying in %ss: %s",
            interview_id,
            attempt,
            settings.MAX_RETRY_ATTEMPTS,
            delay,
            exc,
        )
        raise self.retry(exc=exc, countdown=delay) from exc


@shared_task(acks_late=True)
def sweep_stuck() -> dict[str, int]:
    report = stuck_sweep()
    return {
        "abandoned": len(report.abandoned),
        "evaluations_failed": len(report.evaluations_failed),
        "evaluations_requeued": len(report.evaluations_requeued),
    }
