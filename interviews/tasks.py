"""Celery tasks: thin wrappers that take ids and call services."""

import logging
import math
from typing import Any

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from interviews.llm.errors import ProvidersUnavailable
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
def evaluate_interview(self: Any, interview_id: int, breaker_waits: int = 0) -> str:
    """Evaluate once; retry any failure with jittered back-off, MAX_RETRY_ATTEMPTS in all.

    Every failure is worth a retry here: provider errors, open breakers and timeouts
    (ProvidersUnavailable, SoftTimeLimitExceeded) pass, and a malformed reply may be fine next
    time. After the last attempt the evaluation is marked incomplete and the exception is
    re-raised, so Celery records the failure (and the dead-letter hook sees it).

    When every provider was skipped because its breaker is open, nothing was tried: the task
    waits for the first breaker's next trial without spending an attempt, up to
    EVALUATION_BREAKER_WAITS times (`breaker_waits` counts them), so an evaluation that
    finishes during an outage is scored after it instead of giving up in minutes.
    """
    try:
        return evaluation_run(interview_id=interview_id).status
    except Interview.DoesNotExist:
        # A queued task can outlive its interview (deleted by staff); nothing to evaluate.
        logger.warning("interview %s no longer exists; evaluation dropped", interview_id)
        return "missing"
    except Exception as exc:
        retry_after = exc.retry_after if isinstance(exc, ProvidersUnavailable) else None
        if retry_after is not None and breaker_waits < settings.EVALUATION_BREAKER_WAITS:
            delay = min(
                max(evaluation_retry_delay(self.request.retries), math.ceil(retry_after)),
                settings.EVALUATION_RETRY_MAX_SECONDS,
            )
            logger.warning(
                "evaluation of interview %s: every provider's breaker is open; waiting %ss "
                "(wait %s of %s, no attempt spent)",
                interview_id,
                delay,
                breaker_waits + 1,
                settings.EVALUATION_BREAKER_WAITS,
            )
            raise self.retry(
                exc=exc,
                kwargs={"interview_id": interview_id, "breaker_waits": breaker_waits + 1},
                countdown=delay,
            ) from exc
        attempt = self.request.retries - breaker_waits + 1
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
