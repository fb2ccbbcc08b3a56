"""Dead-letter writes: capture a terminal failure, retry, discard, clear, resolve, purge.

The Celery hooks (resilience.dlq.signals), the admin, the staff API, the retention task and
other apps' services (the stuck sweep) all go through these functions.
"""

import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from resilience.alerts.services import Actor, actor_user
from resilience.conf import resilience_settings
from resilience.dlq.alerts import dead_letter_alert_send
from resilience.dlq.models import DeadLetter, DeadLetterStatus

logger = logging.getLogger(__name__)

RETRYABLE = (DeadLetterStatus.PENDING, DeadLetterStatus.DISCARDED)
DISCARDABLE = (DeadLetterStatus.PENDING,)
# Retried entries wait for their task's outcome, so clearing or purging leaves them alone
# until retention age; pending ones are the operator's to decide.
CLEARABLE = (DeadLetterStatus.RESOLVED, DeadLetterStatus.DISCARDED)
PURGE_BATCH = 1000
MAX_TEXT = 20_000  # characters kept of a message or traceback


@dataclass
class RetryReport:
    retried: dict[int, str] = field(default_factory=dict)  # entry id -> new Celery task id
    skipped: list[int] = field(default_factory=list)  # not in a retryable status
    send_failed: list[int] = field(default_factory=list)  # broker refused; back to pending


@dataclass(frozen=True)
class PurgeReport:
    expired: int  # non-pending entries older than DLQ_RETENTION_DAYS
    capped: int  # entries over DLQ_MAX_ROWS, oldest non-pending first
    capped_pending: int  # of those, pending ones (only when non-pending ones ran out)


def _json_safe(value: Any) -> Any:
    """Celery's JSON serializer already made these JSON; anything else is kept as its repr so
    the row can still be stored (a retry then sends the repr, which the operator can see)."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=repr))


# --- capture ------------------------------------------------------------------------------


def dead_letter_capture(
    *,
    task_name: str,
    task_id: str,
    queue: str,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    exception_type: str,
    exception_message: str,
    traceback: str,
    attempts: int,
) -> DeadLetter:
    """Record a terminal failure; alert (after commit) if the task is critical.

    A failure of a task this queue retried goes back into that entry (pending again, counts
    added); a second report for the same task id (two signals for one kill) changes nothing.
    """
    now = timezone.now()
    critical = task_name in resilience_settings().critical_tasks
    fields = {
        "exception_type": exception_type[:255],
        "exception_message": exception_message[:MAX_TEXT],
        "traceback": traceback[-MAX_TEXT:],
        "last_failed_at": now,
        "critical": critical,
    }
    with transaction.atomic():
        entry = (
            DeadLetter.objects.select_for_update().filter(retry_task_id=task_id).first()
            if task_id
            else None
        )
        if entry is not None:
            for name, value in fields.items():
                setattr(entry, name, value)
            entry.status = DeadLetterStatus.PENDING
            entry.attempts += attempts
            entry.failure_count += 1
            entry.save()
        else:
            if task_id and DeadLetter.objects.filter(task_id=task_id).exists():
                logger.info("task %s[%s] already in the dead-letter queue", task_name, task_id)
                return DeadLetter.objects.get(task_id=task_id)
            entry = DeadLetter(
                task_name=task_name,
                task_id=task_id,
                queue=queue,
                args=_json_safe(list(args)),
                kwargs=_json_safe(dict(kwargs)),
                attempts=attempts,
                first_failed_at=now,
                **fields,
            )
            try:
                with transaction.atomic():
                    entry.save()
            except IntegrityError:
                # The same failure reported by two processes at once (a pool child and the
                # worker's main process): the other one's row stands.
                return DeadLetter.objects.get(task_id=task_id)
        if critical:
            transaction.on_commit(partial(_alert, entry))
    logger.warning(
        "task %s[%s] failed for good (%s attempts): %s; in the dead-letter queue as #%s",
        task_name,
        task_id or "-",
        attempts,
        entry.error,
        entry.pk,
    )
    return entry


def _alert(entry: DeadLetter) -> None:
    try:
        dead_letter_alert_send(dead_letter=entry)
    except DatabaseError:
        logger.exception("dead letter #%s: cannot send its alert", entry.pk)


# --- operator actions ---------------------------------------------------------------------


def _send(*, entry_id: int, task_id: str, report: RetryReport) -> None:
    """Send the retry; if the broker refuses, put the entry back to pending (and say so)."""
    entry = DeadLetter.objects.get(pk=entry_id)
    queue = entry.queue if entry.queue in current_app.amqp.queues else None
    try:
        current_app.send_task(
            entry.task_name, args=entry.args, kwargs=entry.kwargs, task_id=task_id, queue=queue
        )
    except Exception:
        # Any broker or kombu error: the entry must not claim a retry that was never sent.
        logger.exception("dead letter #%s: cannot send its retry", entry_id)
        DeadLetter.objects.filter(pk=entry_id, retry_task_id=task_id).update(
            status=DeadLetterStatus.PENDING
        )
        report.retried.pop(entry_id, None)
        report.send_failed.append(entry_id)


def dead_letters_retry(*, ids: Iterable[int], actor: Actor) -> RetryReport:
    """Re-send each entry's task with its arguments under a new task id, linked to the entry.

    The entry becomes `retried`; the success hook resolves it, a terminal failure makes it
    pending again. Tasks are sent after commit, so a worker never sees a retry whose entry
    is not yet marked.
    """
    wanted = sorted(set(ids))
    report = RetryReport()
    now = timezone.now()
    with transaction.atomic():
        rows = DeadLetter.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
        for entry in rows:
            if entry.status not in RETRYABLE:
                report.skipped.append(entry.pk)
                continue
            task_id = str(uuid.uuid4())
            entry.status = DeadLetterStatus.RETRIED
            entry.retry_task_id = task_id
            entry.retry_count += 1
            entry.retried_at = now
            entry.retried_by = actor_user(actor)
            entry.save(
                update_fields=[
                    "status",
                    "retry_task_id",
                    "retry_count",
                    "retried_at",
                    "retried_by",
                ]
            )
            report.retried[entry.pk] = task_id
            # partial binds this entry's values now (a lambda would see the loop's last).
            transaction.on_commit(partial(_send, entry_id=entry.pk, task_id=task_id, report=report))
    logger.info(
        "dead-letter retry by %s: %s sent, %s skipped",
        actor or "system",
        len(report.retried),
        len(report.skipped),
    )
    return report


def dead_letters_discard(*, ids: Iterable[int], actor: Actor) -> int:
    """Mark pending entries discarded (kept until retention, for the record); how many."""
    count = DeadLetter.objects.filter(pk__in=list(ids), status__in=DISCARDABLE).update(
        status=DeadLetterStatus.DISCARDED,
        discarded_at=timezone.now(),
        discarded_by=actor_user(actor),
    )
    logger.info("dead-letter discard by %s: %s entries", actor or "system", count)
    return count


def dead_letters_clear(*, queryset: QuerySet[DeadLetter], actor: Actor) -> int:
    """Delete the resolved and discarded entries of `queryset` now; how many."""
    count, _ = queryset.filter(status__in=CLEARABLE).delete()
    logger.info("dead-letter clear by %s: %s entries deleted", actor or "system", count)
    return count


def dead_letter_resolve(*, task_id: str) -> bool:
    """A retry sent from the queue succeeded: its entry is resolved."""
    updated = DeadLetter.objects.filter(
        retry_task_id=task_id, status=DeadLetterStatus.RETRIED
    ).update(status=DeadLetterStatus.RESOLVED, resolved_at=timezone.now())
    return bool(updated)


# --- retention ----------------------------------------------------------------------------


def _delete_oldest(queryset: QuerySet[DeadLetter], count: int) -> int:
    deleted = 0
    while deleted < count:
        batch = list(
            queryset.order_by("last_failed_at", "pk").values_list("pk", flat=True)[
                : min(PURGE_BATCH, count - deleted)
            ]
        )
        if not batch:
            break
        deleted += DeadLetter.objects.filter(pk__in=batch).delete()[0]
    return deleted


def dead_letters_purge(*, now: datetime | None = None) -> PurgeReport:
    """Delete non-pending entries idle past DLQ_RETENTION_DAYS, then cap the table at
    DLQ_MAX_ROWS (oldest non-pending first; pending ones only if nothing else is left)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DLQ_RETENTION_DAYS)
    old = Q(last_failed_at__lt=cutoff)
    for stamp in ("retried_at", "discarded_at", "resolved_at"):
        old &= Q(**{f"{stamp}__isnull": True}) | Q(**{f"{stamp}__lt": cutoff})
    expired = _delete_oldest(
        DeadLetter.objects.exclude(status=DeadLetterStatus.PENDING).filter(old),
        DeadLetter.objects.count(),
    )
    excess = DeadLetter.objects.count() - settings.DLQ_MAX_ROWS
    capped = capped_pending = 0
    if excess > 0:
        capped = _delete_oldest(DeadLetter.objects.exclude(status=DeadLetterStatus.PENDING), excess)
        if capped < excess:
            capped_pending = _delete_oldest(DeadLetter.objects.all(), excess - capped)
            capped += capped_pending
            logger.warning(
                "dead-letter queue over DLQ_MAX_ROWS (%s) with pending entries only: deleted "
                "the %s oldest pending",
                settings.DLQ_MAX_ROWS,
                capped_pending,
            )
    if expired or capped:
        logger.info("dead-letter retention: %s expired, %s over the cap", expired, capped)
    return PurgeReport(expired=expired, capped=capped, capped_pending=capped_pending)
