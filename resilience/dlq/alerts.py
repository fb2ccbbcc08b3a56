"""Alert staff when a task listed in CRITICAL_TASKS fails for good (through resilience.alerts:
at most once per task per ALERT_INTERVAL; later failures in the interval are counted and
reported with the next alert)."""

import logging
from typing import TYPE_CHECKING

from resilience.alerts.services import alert_claim, alert_deliver

if TYPE_CHECKING:
    from resilience.dlq.models import DeadLetter

logger = logging.getLogger(__name__)


def dead_letter_alert_send(*, dead_letter: "DeadLetter") -> bool:
    """Alert for a critical task's terminal failure; False when deduplicated. Delivery
    failures are logged, never raised (the failure itself is already recorded)."""
    suppressed = alert_claim(key=f"task:{dead_letter.task_name}")
    if suppressed is None:
        logger.info("task %s failed again; alert suppressed", dead_letter.task_name)
        return False
    more = f" ({suppressed} more failures since the last alert)" if suppressed else ""
    body = (
        f"Task {dead_letter.task_name} [{dead_letter.task_id or '-'}] failed for good at "
        f"{dead_letter.last_failed_at:%Y-%m-%d %H:%M:%S %Z} after {dead_letter.attempts} "
        f"attempts.\nError: {dead_letter.error}\nQueue: {dead_letter.queue or '-'}\n"
        f"Dead-letter entry #{dead_letter.pk}: retry or discard it in the admin "
        f"(Resilience > Dead letters).{more}\n"
    )
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
    alert_deliver(
        what=f"task {dead_letter.task_name}",
        subject=f"Critical task {dead_letter.task_name} failed{more}",
        body=body,
        payload=payload,
    )
    return True
