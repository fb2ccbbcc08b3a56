"""Reads the monitoring reports need from other apps."""

from django.db.models import Q

from interviews.models import Evaluation, EvaluationStatus


def failed_evaluations_by_queue() -> dict[str, int]:
    """Evaluations that ended without a score (incomplete or error), under their queue."""
    failed = Q(status=EvaluationStatus.INCOMPLETE) | Q(status=EvaluationStatus.ERROR)
    return {"evaluation": Evaluation.objects.filter(failed).count()}
