"""The stuck sweep: interviews nobody is taking any more, evaluations nobody is finishing.

Each row is re-checked under its own lock when it is changed, so a candidate who comes back or
a worker that finishes while the sweep runs is never overwritten. A dry run reports the same
rows and changes nothing.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from interviews.models import Evaluation, EvaluationStatus, SweepRun
from interviews.selectors import (
    StuckCutoffs,
    stuck_evaluations,
    stuck_interviews,
    unsent_evaluations,
)
from interviews.services.effects import enqueue_on_commit
from interviews.services.interviews import interview_abandon
from resilience.dlq.services import dead_letter_capture, dead_letters_retry

logger = logging.getLogger(__name__)

SWEEP_HISTORY_DAYS = 7
# The dead-letter entry's "exception" for an evaluation the sweep found stuck.
STUCK_EXCEPTION_TYPE = "StuckEvaluation"


@dataclass
class SweepReport:
    dry_run: bool
    abandoned: list[int] = field(default_factory=list)  # interview ids
    evaluations_failed: list[int] = field(default_factory=list)  # evaluation ids
    evaluations_requeued: list[int] = field(default_factory=list)
    # Pending evaluations whose task was never sent or was lost with the broker: sent again.
    evaluations_resent: list[int] = field(default_factory=list)


def _fail_stuck_evaluation(evaluation_id: int, running_since: datetime, hours: float) -> str:
    """Mark a stuck evaluation `error`, record it in the dead-letter queue and requeue it once
    from there (the entry resolves when that run succeeds): "skipped", "failed" or "requeued".
    """
    from interviews.tasks import evaluate_interview  # tasks import services: import late

    with transaction.atomic():
        evaluation = Evaluation.objects.select_for_update().get(pk=evaluation_id)
        if evaluation.status != EvaluationStatus.RUNNING or (
            evaluation.started_at and evaluation.started_at >= running_since
        ):
            return "skipped"  # it finished while the sweep was looking
        evaluation.status = EvaluationStatus.ERROR
        evaluation.reason = f"Stuck: still running after {hours:g} h (worker lost?)."
        evaluation.finished_at = timezone.now()
        requeue = evaluation.auto_requeued_at is None
        if requeue:
            evaluation.auto_requeued_at = timezone.now()
        evaluation.save()
        # No Celery task id: the run that got stuck is not known, only its arguments.
        entry = dead_letter_capture(
            task_name=evaluate_interview.name,
            task_id="",
            queue="evaluation",
            args=[],
            kwargs={"interview_id": evaluation.interview_id},
            exception_type=STUCK_EXCEPTION_TYPE,
            exception_message=evaluation.reason,
            traceback="",
            attempts=evaluation.attempts,
        )
        if requeue:
            # Sent on commit, like every enqueue (the sweep's transaction is this one).
            dead_letters_retry(ids=[entry.pk], actor=None)
    logger.warning("evaluation %s was stuck; requeued=%s", evaluation_id, requeue)
    return "requeued" if requeue else "failed"


def _resend(evaluation_id: int) -> None:
    from interviews.tasks import evaluate_interview  # tasks import services: import late

    interview_id = Evaluation.objects.values_list("interview_id", flat=True).get(pk=evaluation_id)
    # Harmless if the old task turns up after all: a run that finds the evaluation claimed or
    # done does nothing.
    enqueue_on_commit(evaluate_interview, interview_id=interview_id)


def stuck_sweep(*, dry_run: bool = False) -> SweepReport:
    started = timezone.now()
    cutoffs = StuckCutoffs.at(started)
    hours = settings.STUCK_EPISODE_THRESHOLD_HOURS
    report = SweepReport(dry_run=dry_run)

    for interview_id in list(stuck_interviews(cutoffs).values_list("pk", flat=True)):
        abandoned = dry_run or interview_abandon(
            interview_id=interview_id, inactive_since=cutoffs.inactive_since
        )
        if abandoned:
            report.abandoned.append(interview_id)
    for evaluation_id in list(stuck_evaluations(cutoffs).values_list("pk", flat=True)):
        if dry_run:
            report.evaluations_failed.append(evaluation_id)
            continue
        outcome = _fail_stuck_evaluation(evaluation_id, cutoffs.running_since, hours)
        if outcome != "skipped":
            report.evaluations_failed.append(evaluation_id)
        if outcome == "requeued":
            report.evaluations_requeued.append(evaluation_id)

    for evaluation_id in list(unsent_evaluations(cutoffs).values_list("pk", flat=True)):
        if not dry_run:
            _resend(evaluation_id)
        report.evaluations_resent.append(evaluation_id)

    SweepRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        dry_run=dry_run,
        abandoned=len(report.abandoned),
        evaluations_failed=len(report.evaluations_failed),
        evaluations_requeued=len(report.evaluations_requeued) + len(report.evaluations_resent),
    )
    SweepRun.objects.filter(started_at__lt=started - timedelta(days=SWEEP_HISTORY_DAYS)).delete()
    logger.info(
        "stuck sweep%s: %s interviews abandoned, %s evaluations failed, %s requeued, "
        "%s pending ones sent again",
        " (dry run)" if dry_run else "",
        len(report.abandoned),
        len(report.evaluations_failed),
        len(report.evaluations_requeued),
        len(report.evaluations_resent),
    )
    return report
