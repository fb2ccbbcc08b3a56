"""Celery tasks: thin wrappers that take ids and call services."""

import logging
from typing import Any

from celery import shared_task

from interviews.models import Interview
from interviews.services.evaluation import evaluation_fail, evaluation_run
from interviews.services.maintenance import stuck_sweep

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3, acks_late=True)
def evaluate_interview(self: Any, interview_id: int) -> str:
    try:
        return evaluation_run(interview_id=interview_id).status
    except Interview.DoesNotExist:
        # A queued task can outlive its interview (deleted by staff); nothing to evaluate.
        logger.warning("interview %s no longer exists; evaluation dropped", interview_id)
        return "missing"
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            evaluation_fail(interview_id=interview_id, reason=f"{type(exc).__name__}: {exc}")
            raise
        logger.warning("evaluation of interview %s failed, retrying: %s", interview_id, exc)
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc


@shared_task(acks_late=True)
def sweep_stuck() -> dict[str, int]:
    report = stuck_sweep()
    return {
        "abandoned": len(report.abandoned),
        "evaluations_failed": len(report.evaluations_failed),
        "evaluations_requeued": len(report.evaluations_requeued),
    }
