"""A run submitted through the `sandbox` queue, and its result.

The interview integration will own Submissions and their TestRuns; this table is only the
sandbox's own record of a queued run, so that `sandbox_run_submit` can return an id at once
and the result can be read once the worker has it (docs/sandbox.md, "Runs through Celery").
"""

import uuid

from django.db import models
from django.db.models import Q


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"  # the engine ran it: `result` holds the RunResult
    FAILED = "failed", "Failed"  # it could not be run: `error` says why


class SandboxRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.QUEUED)
    language = models.CharField(max_length=32)
    code = models.TextField()
    tests = models.JSONField()  # TestSuite.to_dict()
    limits = models.JSONField()  # Limits.to_dict()
    result = models.JSONField(null=True, blank=True)  # RunResult.to_dict() once done
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state=RunState.DONE, result__isnull=False)
                | (~Q(state=RunState.DONE) & Q(result__isnull=True)),
                name="sandbox_run_result_only_when_done",
            )
        ]

    def __str__(self) -> str:
        return f"sandbox run {self.id} ({self.state})"
