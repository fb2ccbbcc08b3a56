"""Alert staff when a task listed in CRITICAL_TASKS fails for good: mail ADMINS and POST to
ALERT_WEBHOOK_URL, at most once per task per ALERT_INTERVAL (later failures in the interval
are counted and reported with the next alert)."""

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone

from resilience.models.dead_letters import DeadLetterAlert

if TYPE_CHECKING:
    from resilience.models.dead_letters import DeadLetter

logger = logging.getLogger(__name__)

ALERT_INTERVAL = timedelta(minutes=15)
# Sent from the worker right after the failure: a dead webhook must not hold it for long.
WEBHOOK_TIMEOUT = 3.0


def _claim(task_name: str) -> int | None:
    """Take this interval's alert for `task_name`: the failures suppressed since the last one,
    or None if an alert already went out within ALERT_INTERVAL. The row lock makes workers
    that fail at the same moment send one alert between them."""
    now = timezone.now()
    with transaction.atomic():
        row, created = DeadLetterAlert.objects.select_for_update().get_or_create(
            task_name=task_name, defaults={"last_sent_at": now}
        )
        if created:
            return 0
        if row.last_sent_at > now - ALERT_INTERVAL:
            row.suppressed += 1
            row.save(update_fields=["suppressed"])
            return None
        suppressed = row.suppressed
        row.last_sent_at, row.suppressed = now, 0
        row.save(update_fields=["last_sent_at", "suppressed"])
    return suppressed


def dead_letter_alert_send(*, dead_letter: "DeadLetter") -> bool:
    """Alert for a critical task's terminal failure; False when deduplicated. Delivery
    failures are logged, never raised (the failure itself is already recorded)."""
    suppressed = _claim(dead_letter.task_name)
    if suppressed is None:
        logger.info("task %s failed again; alert suppressed", dead_letter.task_name)
        return False
    more = f" ({suppressed} more failures since the last alert)" if suppressed else ""
    subject = f"Critical task {dead_letter.task_name} failed{more}"
    body = (
        f"Task {dead_letter.task_name} [{dead_letter.task_id or '-'}] failed for good at "
        f"{dead_letter.last_failed_at:%Y-%m-%d %H:%M:%S %Z} after {dead_letter.attempts} "
        f"attempts.\nError: {dead_letter.error}\nQueue: {dead_letter.queue or '-'}\n"
        f"Dead-letter entry #{dead_letter.pk}: retry or discard it in the admin "
        f"(Resilience > Dead letters).{more}\n"
    )
    try:
        mail_admins(subject, body, fail_silently=False)
    except Exception:
        # Any mail backend's error: best effort, and it must not stop the webhook.
        logger.exception("alert mail for task %s failed", dead_letter.task_name)
    url = getattr(settings, "ALERT_WEBHOOK_URL", "")
    if url:
        payload = {
            "kind": "dead_letter",
            "task": dead_letter.task_name,
            "task_id": dead_letter.task_id,
            "dead_letter_id": dead_letter.pk,
            "error": dead_letter.error,
            "attempts": dead_letter.attempts,
            "failed_at": dead_letter.last_failed_at.isoformat(),
            "suppressed_since_last_alert": suppressed,
        }
        try:
            httpx.post(url, json=payload, timeout=WEBHOOK_TIMEOUT).raise_for_status()
        except httpx.HTTPError:
            logger.exception("alert webhook for task %s failed", dead_letter.task_name)
    return True
