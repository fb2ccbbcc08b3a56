"""The human side of a verdict: a reviewer's Decision, and the AuditEvent trail of decisions and
re-runs (docs/evaluation.md, "A human decision on record"). Imported by interviews/models.py.
"""

from django.db import models
from django.db.models import Q

NOTE_MAX_CHARS = 4000  # a decision's note and its reason, each


class DecisionOutcome(models.TextChoices):
    ADVANCE = "advance", "Advance"
    HOLD = "hold", "Hold"
    REJECT = "reject", "Reject"


class Decision(models.Model):
    """A reviewer's verdict on an interview: the human decision; the evaluation only advises.

    Rows are never edited or deleted: a new decision is a new row (the latest one stands), so a
    re-run of the evaluation, which rewrites the Evaluation row, leaves every decision intact.
    """

    interview = models.ForeignKey(
        "interviews.Interview", on_delete=models.CASCADE, related_name="decisions"
    )
    outcome = models.CharField(max_length=16, choices=DecisionOutcome.choices)
    note = models.TextField()
    # Why the reviewer went against the AI's advice; required then (decision_record).
    reason = models.TextField(blank=True)
    # What the evaluation advised when the decision was made ("" when it had not advised).
    ai_recommendation = models.CharField(max_length=16, blank=True)
    reviewer = models.ForeignKey(
        "auth.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("record_decision", "Can record a hiring decision (advance, hold, reject)")]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=DecisionOutcome.values), name="decision_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} for interview {self.interview_id}"


class AuditAction(models.TextChoices):
    DECISION = "decision", "Decision recorded"
    EVALUATION_RERUN = "evaluation_rerun", "Evaluation re-run"


class AuditEvent(models.Model):
    """Who did what to an interview's verdict, when, and what it replaced (append-only)."""

    interview = models.ForeignKey(
        "interviews.Interview", on_delete=models.CASCADE, related_name="audit_events"
    )
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    actor = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    value = models.JSONField(default=dict)  # what was recorded or requested
    previous = models.JSONField(null=True, blank=True)  # what it replaced; None = nothing

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values), name="audit_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on interview {self.interview_id}"
