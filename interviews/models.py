"""Positions (the job and its interview plan), interviews, their transcript (turns), their
evaluation, the reviewers' decisions and the audit trail of both, and the invite emails.

Invariants live in the database (constraints), not only in code: a turn's seq is unique per
interview, a client_msg_id is stored once per interview, and an evaluation carries a score only
when it is done, so no code path can ever show a score for a failed evaluation.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class CodingLanguage(models.TextChoices):
    PYTHON = "python", "Python"
    JAVASCRIPT = "javascript", "JavaScript"


class InterviewStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    ABANDONED = "abandoned", "Abandoned"
    ERROR = "error", "Error"


FINISHED_STATUSES = (InterviewStatus.COMPLETED, InterviewStatus.ABANDONED, InterviewStatus.ERROR)


class Position(models.Model):
    """The job being hired for and its interview plan, which every interview for it inherits.

    An interview copies the plan when it is created (interviews.services.positions), so editing
    a position later never changes an interview already sent or taken.
    """

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="The job description.")
    # Question-bank topic keys ("python", "sql", ...) or free text; see position_topic_notes.
    topics = models.JSONField(default=list)
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices)
    language = models.CharField(max_length=16, default="en")
    question_count = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    time_limit_seconds = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(60)]
    )
    # How many of the questions are coding questions (the last ones: interviews.coding.plan).
    coding_count = models.PositiveSmallIntegerField(default=0)
    coding_language = models.CharField(
        max_length=16, choices=CodingLanguage.choices, default=CodingLanguage.PYTHON
    )
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(question_count__gte=1) & Q(question_count__lte=50),
                name="position_question_count_1_50",
            ),
            models.CheckConstraint(
                condition=Q(difficulty__in=Difficulty.values), name="position_difficulty_valid"
            ),
            models.CheckConstraint(
                condition=Q(coding_count__lte=models.F("question_count")),
                name="position_coding_count_le_questions",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Interview(models.Model):
    # PROTECT: a position with interviews is part of their record. Null only for rows made
    # before positions existed and not yet migrated (migration 0009 links every one).
    position = models.ForeignKey(
        Position, null=True, blank=True, on_delete=models.PROTECT, related_name="interviews"
    )
    candidate_name = models.CharField(max_length=200)
    candidate_email = models.EmailField(blank=True)
    role = models.CharField(max_length=200)
    topic = models.CharField(max_length=200)
    language = models.CharField(max_length=16, default="en")
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices)
    question_count = models.PositiveSmallIntegerField()
    time_limit_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Optional limit from the first question; empty = none."
    )
    coding_count = models.PositiveSmallIntegerField(default=0)
    coding_language = models.CharField(
        max_length=16, choices=CodingLanguage.choices, default=CodingLanguage.PYTHON
    )
    status = models.CharField(
        max_length=16, choices=InterviewStatus.choices, default=InterviewStatus.SCHEDULED
    )
    room_id = models.CharField(max_length=32, unique=True, editable=False)
    # Only a SHA-256 of the invite token is stored: a database leak does not leak invites.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_expires_at = models.DateTimeField()
    token_revoked_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveIntegerField(default=0, editable=False)
    current_index = models.PositiveSmallIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # The candidate's consent on the start page: when, and which version of the notice they read.
    consent_at = models.DateTimeField(null=True, blank=True, editable=False)
    consent_notice_version = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "last_activity_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(question_count__gte=1) & Q(question_count__lte=50),
                name="interview_question_count_1_50",
            ),
            models.CheckConstraint(
                condition=Q(current_index__lte=models.F("question_count")),
                name="interview_current_index_le_count",
            ),
            models.CheckConstraint(
                condition=Q(difficulty__in=Difficulty.values), name="interview_difficulty_valid"
            ),
            models.CheckConstraint(
                condition=Q(coding_count__lte=models.F("question_count")),
                name="interview_coding_count_le_questions",
            ),
            models.CheckConstraint(
                condition=Q(status__in=InterviewStatus.values), name="interview_status_valid"
            ),
            # A consent always names the notice it was given to, and a version only comes with one.
            models.CheckConstraint(
                condition=(Q(consent_at__isnull=True) & Q(consent_notice_version=""))
                | (Q(consent_at__isnull=False) & ~Q(consent_notice_version="")),
                name="interview_consent_has_notice_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate_name} — {self.role} ({self.room_id})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class TurnRole(models.TextChoices):
    INTERVIEWER = "interviewer", "Interviewer"
    CANDIDATE = "candidate", "Candidate"
    SYSTEM = "system", "System"


class TurnKind(models.TextChoices):
    QUESTION = "question", "Question"
    FOLLOW_UP = "follow_up", "Follow-up"
    ANSWER = "answer", "Answer"
    SYSTEM = "system", "System"


class TurnSource(models.TextChoices):
    LLM = "llm", "LLM"
    CACHE = "cache", "Question cache"
    FALLBACK = "fallback", "Fallback"
    OFFLINE = "offline", "Offline interviewer"


class Turn(models.Model):
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="turns")
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=16, choices=TurnRole.choices)
    kind = models.CharField(max_length=16, choices=TurnKind.choices)
    question_index = models.PositiveSmallIntegerField()
    text = models.TextField()
    source = models.CharField(max_length=16, choices=TurnSource.choices, blank=True)
    provider = models.CharField(max_length=64, blank=True)
    client_msg_id = models.UUIDField(null=True, blank=True)
    # Interviewer-only material (rubric, bank key); never sent to the candidate.
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["interview", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["interview", "seq"], name="turn_seq_unique"),
            models.UniqueConstraint(
                fields=["interview", "client_msg_id"],
                condition=Q(client_msg_id__isnull=False),
                name="turn_client_msg_id_unique",
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="turn_seq_positive"),
            models.CheckConstraint(
                condition=~Q(kind=TurnKind.ANSWER) | Q(role=TurnRole.CANDIDATE),
                name="turn_answer_is_candidate",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind}"


class EvaluationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    INCOMPLETE = "incomplete", "Incomplete"
    ERROR = "error", "Error"


class Recommendation(models.TextChoices):
    STRONG_HIRE = "strong_hire", "Strong hire"
    HIRE = "hire", "Hire"
    LEAN_NO = "lean_no", "Lean no"
    NO_HIRE = "no_hire", "No hire"
    # The offline heuristic's only recommendation: it measures coverage, it cannot judge.
    NEEDS_REVIEW = "needs_review", "Needs human review"


class Evaluation(models.Model):
    interview = models.OneToOneField(Interview, on_delete=models.CASCADE, related_name="evaluation")
    status = models.CharField(
        max_length=16, choices=EvaluationStatus.choices, default=EvaluationStatus.PENDING
    )
    method = models.CharField(max_length=64, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    overall_score = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    recommendation = models.CharField(max_length=16, choices=Recommendation.choices, blank=True)
    # Validated report (interviews.services.evidence.evaluation_check): per-question scores,
    # evidence, strengths, concerns, flags, fallback turns.
    report = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True, help_text="Why the evaluation is incomplete or failed.")
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when the stuck sweep requeued this evaluation; it does so only once.
    auto_requeued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status=EvaluationStatus.DONE)
                | (Q(overall_score__isnull=True) & Q(recommendation="")),
                name="evaluation_score_only_when_done",
            ),
            models.CheckConstraint(
                condition=Q(overall_score__isnull=True)
                | (Q(overall_score__gte=1) & Q(overall_score__lte=5)),
                name="evaluation_score_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Evaluation of {self.interview_id} ({self.status})"


class InviteEmailKind(models.TextChoices):
    INVITE = "invite", "Invitation"
    REMINDER = "reminder", "Reminder before expiry"


class InviteEmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RETRYING = "retrying", "Failed, retrying"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (in the dead-letter queue)"
    SKIPPED = "skipped", "Not sent"


class InviteEmail(models.Model):
    """One email to a candidate about one invite link, and what became of it.

    The link itself is never stored here: the sending task re-derives it from the interview
    (interviews.services.tokens.token_recover). One row per link and kind: a link's expiry
    identifies it, so two beat runs or a double click can never send a second reminder.
    """

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=16, choices=InviteEmailKind.choices)
    to = models.EmailField()
    for_expiry = models.DateTimeField(help_text="The expiry of the link this email is about.")
    status = models.CharField(
        max_length=16, choices=InviteEmailStatus.choices, default=InviteEmailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "kind", "for_expiry"], name="invite_email_once_per_link"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=InviteEmailKind.values), name="invite_email_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=InviteEmailStatus.values), name="invite_email_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to} ({self.get_status_display()})"


class SweepRun(models.Model):
    """One run of the stuck sweep: its counts, and proof for health checks that beat is alive."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    dry_run = models.BooleanField(default=False)
    abandoned = models.PositiveIntegerField(default=0)
    evaluations_failed = models.PositiveIntegerField(default=0)
    evaluations_requeued = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Sweep at {self.started_at:%Y-%m-%d %H:%M:%S}"


# Coding submissions and the human review live in their own modules (size); imported here so
# Django registers them.
from interviews.models_code import (  # noqa: E402, F401
    Submission,
    SubmissionKind,
    SubmissionStatus,
    TestRun,
)
from interviews.models_review import (  # noqa: E402, F401
    NOTE_MAX_CHARS,
    AuditAction,
    AuditEvent,
    Decision,
    DecisionOutcome,
)
