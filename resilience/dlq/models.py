"""The dead-letter queue: Celery tasks that failed for good, kept for an operator to act on."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class DeadLetterStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for an operator
    RETRIED = "retried", "Retried"  # re-sent; resolved when that task succeeds
    DISCARDED = "discarded", "Discarded"  # an operator decided it needs no retry
    RESOLVED = "resolved", "Resolved"  # a retry succeeded


class DeadLetter(models.Model):
    task_name = models.CharField(max_length=255, db_index=True)
    # Empty for entries not captured from a Celery failure (e.g. the stuck sweep's).
    task_id = models.CharField(max_length=255, blank=True)
    queue = models.CharField(max_length=255, blank=True)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    exception_type = models.CharField(max_length=255, db_index=True)
    exception_message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    # Executions that ended in this entry, Celery's own retries included, summed over
    # every failed run (a retry from here that fails again adds its attempts).
    attempts = models.PositiveIntegerField(default=1)
    failure_count = models.PositiveIntegerField(
        default=1, help_text="Terminal failures recorded in this entry (1 + failed retries)."
    )
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=DeadLetterStatus.choices, default=DeadLetterStatus.PENDING
    )
    critical = models.BooleanField(
        default=False, help_text="The task was listed in CRITICAL_TASKS when it failed."
    )
    retry_task_id = models.CharField(
        max_length=255, blank=True, help_text="Celery id of the latest retry sent from here."
    )
    retry_count = models.PositiveIntegerField(default=0)
    retried_at = models.DateTimeField(null=True, blank=True)
    # Null with retried_at set: retried by the system (the stuck sweep), not a person.
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    discarded_at = models.DateTimeField(null=True, blank=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_failed_at", "-pk"]
        verbose_name = "dead letter"
        indexes = [
            # The admin's default view and the stats header: pending entries by task and age.
            models.Index(
                fields=["status", "task_name", "last_failed_at"], name="dead_letter_by_task"
            ),
            # Retention: non-pending entries, oldest first.
            models.Index(fields=["status", "last_failed_at"], name="dead_letter_status_age"),
            # The success hook looks every finished task up here; only retried rows qualify.
            models.Index(
                fields=["retry_task_id"],
                condition=Q(status="retried"),
                name="dead_letter_retry_task",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeadLetterStatus.values), name="dead_letter_status_valid"
            ),
            # One entry per failed task: a duplicate failure signal updates it.
            models.UniqueConstraint(
                fields=["task_id"], condition=~Q(task_id=""), name="dead_letter_task_id_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status="retried") | ~Q(retry_task_id=""),
                name="dead_letter_retried_has_task",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} [{self.task_id or self.pk}] {self.status}"

    @property
    def error(self) -> str:
        """`Class: message`, as the list shows it."""
        lines = self.exception_message.strip().splitlines()
        return f"{self.exception_type}: {lines[0]}" if lines else self.exception_type
