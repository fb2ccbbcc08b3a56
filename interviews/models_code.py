"""A candidate's code for a coding question (Submission) and what each test made of it (TestRun).

The code is stored before anything runs, so an engine outage never loses it; a submission's
test results exist only once the engine ran it (`done`), enforced by a constraint, so nothing
can show an untested submission as passing or failing. Imported by interviews/models.py.
"""

from django.db import models
from django.db.models import Q


class SubmissionKind(models.TextChoices):
    RUN = "run", "Run tests (visible examples)"
    SUBMIT = "submit", "Submit (all tests)"


class SubmissionStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Tested"
    # The engine was unavailable (down, breaker open): the code is saved and will be tested
    # when it returns (interviews.services.submissions.submissions_retest).
    NOT_RUN = "not_run", "Not run yet"


class Submission(models.Model):
    interview = models.ForeignKey(
        "interviews.Interview", on_delete=models.CASCADE, related_name="submissions"
    )
    question = models.ForeignKey(
        "interviews.Turn", on_delete=models.CASCADE, related_name="submissions"
    )
    kind = models.CharField(max_length=8, choices=SubmissionKind.choices)
    language = models.CharField(max_length=16)
    code = models.TextField()
    client_id = models.UUIDField()  # the page's id for it: a re-sent frame is stored once
    status = models.CharField(
        max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.QUEUED
    )
    # Once done: the sandbox's RunStatus (passed | failed | error | timeout | limit), the limit
    # that stopped it, and its one-line explanation.
    run_status = models.CharField(max_length=16, blank=True)
    limit = models.CharField(max_length=16, blank=True)
    message = models.TextField(blank=True)
    passed = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveSmallIntegerField(default=0)
    hidden_passed = models.PositiveSmallIntegerField(default=0)
    hidden_total = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_run_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["interview", "created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "client_id"], name="submission_client_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SubmissionKind.values), name="submission_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SubmissionStatus.values), name="submission_status_valid"
            ),
            # A verdict only on a tested submission: untested code is never passing or failing.
            models.CheckConstraint(
                condition=Q(status=SubmissionStatus.DONE) & ~Q(run_status="")
                | ~Q(status=SubmissionStatus.DONE) & Q(run_status="", passed=0, total=0),
                name="submission_verdict_only_when_done",
            ),
            models.CheckConstraint(
                condition=Q(passed__lte=models.F("total"))
                & Q(hidden_passed__lte=models.F("hidden_total")),
                name="submission_counts_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"


class TestRun(models.Model):
    """One test of a tested submission: the fields every interview product's reports show."""

    __test__ = False  # not a pytest test class

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="tests")
    position = models.PositiveSmallIntegerField()  # the order the tests ran in
    name = models.CharField(max_length=200)
    hidden = models.BooleanField(default=False)
    passed = models.BooleanField()
    output = models.TextField(blank=True)
    error = models.TextField(blank=True)
    duration = models.FloatField(default=0.0)  # seconds the call took in the sandbox

    class Meta:
        ordering = ["submission", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "position"], name="test_run_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {'passed' if self.passed else 'failed'}"
