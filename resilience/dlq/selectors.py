"""Dead-letter reads for the admin, the staff API and health checks."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from resilience.dlq.models import DeadLetter, DeadLetterStatus


@dataclass(frozen=True)
class DeadLetterStats:
    pending: int
    pending_by_task: dict[str, int]  # most pending first
    oldest_pending_at: datetime | None
    by_status: dict[str, int]

    @property
    def oldest_pending_age(self) -> timedelta | None:
        return timezone.now() - self.oldest_pending_at if self.oldest_pending_at else None

    def as_dict(self) -> dict[str, object]:
        age = self.oldest_pending_age
        return {
            "pending": self.pending,
            "pending_by_task": self.pending_by_task,
            "oldest_pending_at": self.oldest_pending_at.isoformat()
            if self.oldest_pending_at
            else None,
            "oldest_pending_age_seconds": round(age.total_seconds()) if age else None,
            "by_status": self.by_status,
        }


def dead_letter_stats(*, queryset: QuerySet[DeadLetter] | None = None) -> DeadLetterStats:
    """Pending entries per task, when the longest-waiting one became pending, and counts per
    status (3 queries)."""
    rows = DeadLetter.objects.all() if queryset is None else queryset
    pending = rows.filter(status=DeadLetterStatus.PENDING)
    per_task = (
        pending.order_by()
        .values_list("task_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "task_name")
    )
    by_task = {name: n for name, n in per_task}
    by_status = dict.fromkeys(DeadLetterStatus.values, 0)
    by_status.update(
        {s: n for s, n in rows.order_by().values_list("status").annotate(n=Count("pk"))}
    )
    oldest = pending.aggregate(oldest=Min("last_failed_at"))["oldest"]
    return DeadLetterStats(
        pending=sum(by_task.values()),
        pending_by_task=by_task,
        oldest_pending_at=oldest,
        by_status=by_status,
    )


def dead_letters_filter(
    *, queue: str = "", task: str = "", statuses: tuple[str, ...] = ()
) -> QuerySet[DeadLetter]:
    """Entries newest first, narrowed by exact queue, exact task name and statuses."""
    rows = DeadLetter.objects.select_related("retried_by", "discarded_by")
    if queue:
        rows = rows.filter(queue=queue)
    if task:
        rows = rows.filter(task_name=task)
    if statuses:
        rows = rows.filter(status__in=statuses)
    return rows.order_by("-last_failed_at", "-pk")


def dead_letter_task_names() -> list[str]:
    """Every task name in the queue (the admin's task filter)."""
    return list(
        DeadLetter.objects.order_by("task_name").values_list("task_name", flat=True).distinct()
    )


def dead_letters_count_by_task(*, queryset: QuerySet[DeadLetter]) -> dict[str, int]:
    """How many of `queryset` each task has, most first."""
    rows = queryset.order_by().values_list("task_name").annotate(n=Count("pk"))
    return {name: n for name, n in sorted(rows, key=lambda row: (-row[1], row[0]))}
