"""Reads the monitoring reports need from other apps."""

from django.db.models import Count

from interviews.models import Evaluation, EvaluationStatus
from resilience.dlq.models import DeadLetter, DeadLetterStatus


def pending_dead_letters_by_queue() -> dict[str, int]:
    """Tasks that failed for good and wait in the dead-letter queue, under their queue."""
    rows = (
        DeadLetter.objects.filter(status=DeadLetterStatus.PENDING)
        .order_by()
        .values_list("queue")
        .annotate(n=Count("pk"))
    )
    return {queue or "unknown": n for queue, n in rows}


def evaluations_by_status() -> dict[str, int]:
    """Evaluations in each status, every status listed (zero included)."""
    counts = dict(Evaluation.objects.values_list("status").annotate(n=Count("id")).order_by())
    return {status: counts.get(status, 0) for status in EvaluationStatus.values}
