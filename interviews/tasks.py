"""Celery tasks: thin wrappers that take ids and call services."""

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from interviews.models import Interview, InviteEmail, Submission
from interviews.services.evaluation import evaluation_fail, evaluation_run
from interviews.services.evaluation_retry import RetryKind, evaluation_retry_step
from interviews.services.invite_emails import (
    invite_email_failed,
    invite_email_send,
    invite_reminders_queue,
)
from interviews.services.journey import interviews_time_up_sweep
from interviews.services.maintenance import stuck_sweep
from interviews.services.submissions import submission_test, submissions_retest

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None)
def evaluate_interview(self: Any, interview_id: int, breaker_waits: int = 0) -> str:
    """Evaluate once; after a failure, follow `evaluation_retry_step` (wait for a breaker,
    retry with back-off, or give up). Giving up marks the evaluation incomplete and re-raises,
    so Celery records the failure and the dead-letter hook sees it."""
    try:
        return evaluation_run(interview_id=interview_id).status
    except Interview.DoesNotExist:
        # A queued task can outlive its interview (deleted by staff); nothing to evaluate.
        logger.warning("interview %s no longer exists; evaluation dropped", interview_id)
        return "missing"
    except Exception as exc:
        step = evaluation_retry_step(exc, retries=self.request.retries, breaker_waits=breaker_waits)
        if step.kind is RetryKind.GIVE_UP:
            evaluation_fail(interview_id=interview_id, reason=step.describe(interview_id, exc))
            raise
        logger.warning("%s", step.describe(interview_id, exc))
        raise self.retry(
            exc=exc,
            kwargs={"interview_id": interview_id, "breaker_waits": step.breaker_waits},
            countdown=step.delay,
        ) from exc


@shared_task(acks_late=True)
def sweep_stuck() -> dict[str, int]:
    report = stuck_sweep()
    return {
        "abandoned": len(report.abandoned),
        "evaluations_failed": len(report.evaluations_failed),
        "evaluations_requeued": len(report.evaluations_requeued),
    }


@shared_task(acks_late=True)
def complete_timed_out() -> list[int]:
    """Beat, every 15 s: timed interviews past their limit and grace end with `time_up`."""
    return interviews_time_up_sweep()


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_invite_email(self: Any, email_id: int) -> str:
    """Send one invitation or reminder; on failure retry with exponential back-off, and after
    INVITE_EMAIL_MAX_RETRIES re-raise, so the dead-letter hook records it."""
    try:
        return invite_email_send(email_id=email_id)
    except InviteEmail.DoesNotExist:
        logger.warning("invite email %s no longer exists; not sent", email_id)
        return "missing"
    except Exception as exc:
        final = self.request.retries >= settings.INVITE_EMAIL_MAX_RETRIES
        invite_email_failed(email_id=email_id, error=f"{type(exc).__name__}: {exc}", final=final)
        if final:
            raise
        delay = settings.INVITE_EMAIL_RETRY_BASE_SECONDS * 2**self.request.retries
        logger.warning("invite email %s failed (%s); retrying in %s s", email_id, exc, delay)
        raise self.retry(exc=exc, countdown=delay) from exc


@shared_task(acks_late=True)
def send_invite_reminders() -> dict[str, int]:
    return {"queued": invite_reminders_queue()}


@shared_task(acks_late=True)
def run_submission_tests(submission_id: int) -> str:
    """On the `sandbox` queue: run a submission's tests. An unavailable engine is no task
    failure: the submission is `not_run` and `retest_submissions` sends it again."""
    try:
        return submission_test(submission_id=submission_id).status
    except Submission.DoesNotExist:
        logger.warning("submission %s no longer exists; not tested", submission_id)
        return "missing"


@shared_task(acks_late=True)
def retest_submissions() -> int:
    """Beat, every minute: submissions the engine could not run are sent again."""
    return submissions_retest()
