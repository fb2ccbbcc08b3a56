"""Circuit breaker configuration, audit log, state mirror, and the database store's rows."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from resilience.breakers.config import (
    EDITABLE_FIELDS,
    MAX_COUNT_WINDOW,
    MAX_TIME_WINDOW,
    NAME_PATTERN,
    BreakerPolicy,
    Mode,
    WindowType,
)

DEFAULTS = BreakerPolicy(name="defaults")
_percent = [MinValueValidator(0.0), MaxValueValidator(100.0)]


class BreakerStateChoice(models.TextChoices):
    CLOSED = "closed", "Closed"
    OPEN = "open", "Open"
    HALF_OPEN = "half_open", "Half-open"


class BreakerEventKind(models.TextChoices):
    TRANSITION = "transition", "State change"
    FORCED_OPEN = "forced_open", "Forced open"
    FORCED_CLOSED = "forced_closed", "Forced closed"
    METRICS_ONLY = "metrics_only", "Set to metrics only"
    NORMAL = "normal", "Back to normal"
    RESET = "reset", "Reset"
    CONFIG_CHANGED = "config_changed", "Configuration changed"
    ALERT = "alert", "Alert sent"


class BreakerConfig(models.Model):
    name = models.CharField(
        max_length=100,
        unique=True,
        validators=[RegexValidator(NAME_PATTERN.pattern)],
        help_text="The name code uses in get_breaker()/@protect, e.g. llm.openai.",
    )
    enabled = models.BooleanField(
        default=DEFAULTS.enabled,
        help_text="Off: calls pass straight through and nothing is recorded.",
    )
    mode = models.CharField(
        max_length=20,
        choices=Mode.choices,
        default=Mode.NORMAL,
        help_text=(
            "Normal: opens and closes by itself. Forced open: every call is rejected. "
            "Forced closed: every call runs, nothing is recorded. Metrics only: every call runs "
            "and is recorded, but it never opens. Use the list's actions to change it: they log "
            "who did it."
        ),
    )
    failure_threshold = models.PositiveIntegerField(
        default=DEFAULTS.failure_threshold,
        help_text="Consecutive failed calls that open it. 0 turns this rule off.",
    )
    failure_rate_threshold = models.FloatField(
        default=DEFAULTS.failure_rate_threshold,
        validators=_percent,
        help_text=(
            "Percentage of failed calls in the window that opens it, once the window holds "
            "minimum_calls. 0 turns this rule off."
        ),
    )
    window_type = models.CharField(
        max_length=10,
        choices=WindowType.choices,
        default=WindowType.COUNT,
        help_text="Count: the rates cover the last N calls. Time: the calls of the last N seconds.",
    )
    window_size = models.PositiveIntegerField(
        default=DEFAULTS.window_size,
        validators=[MinValueValidator(1)],
        help_text=(
            f"N: calls for a count window (up to {MAX_COUNT_WINDOW}), seconds for a time "
            f"window (up to {MAX_TIME_WINDOW})."
        ),
    )
    minimum_calls = models.PositiveIntegerField(
        default=DEFAULTS.minimum_calls,
        validators=[MinValueValidator(1)],
        help_text=(
            "Calls the window must hold before the failure and slow-call rates can open it "
            "(a few early failures should not)."
        ),
    )
    slow_call_duration = models.FloatField(
        default=DEFAULTS.slow_call_duration,
        validators=[MinValueValidator(0.0)],
        help_text="Seconds from which a call counts as slow. 0: no call is slow.",
    )
    slow_call_rate_threshold = models.FloatField(
        default=DEFAULTS.slow_call_rate_threshold,
        validators=_percent,
        help_text=(
            "Percentage of slow calls in the window that opens it (and a slow half-open trial "
            "re-opens it). 0 turns this rule off."
        ),
    )
    recovery_timeout = models.FloatField(
        default=DEFAULTS.recovery_timeout,
        help_text="Seconds it stays open before trial calls are let through (half-open).",
    )
    recovery_backoff = models.FloatField(
        default=DEFAULTS.recovery_backoff,
        help_text=(
            "Each time it re-opens without having closed in between, the open time is "
            "multiplied by this (1 keeps it constant)."
        ),
    )
    recovery_timeout_max = models.FloatField(
        default=DEFAULTS.recovery_timeout_max,
        help_text="Cap in seconds on the open time, however often it re-opens.",
    )
    half_open_max_calls = models.PositiveIntegerField(
        default=DEFAULTS.half_open_max_calls,
        validators=[MinValueValidator(1)],
        help_text="Trial calls let through while half-open, in total across all processes.",
    )
    success_threshold = models.PositiveIntegerField(
        default=DEFAULTS.success_threshold,
        validators=[MinValueValidator(1)],
        help_text="Successful trial calls that close it (at most half_open_max_calls).",
    )
    max_half_open_wait = models.FloatField(
        default=DEFAULTS.max_half_open_wait,
        help_text=(
            "Seconds a trial call may take before its slot is given to another call, so a "
            "crashed trial cannot keep it half-open forever. At least call_timeout."
        ),
    )
    call_timeout = models.FloatField(
        default=DEFAULTS.call_timeout,
        validators=[MinValueValidator(0.0)],
        help_text=(
            "Seconds after which a call counts as failed: async calls are cancelled, sync calls "
            "finish but count as failures. 0: no timeout from the breaker."
        ),
    )
    critical = models.BooleanField(
        default=DEFAULTS.critical,
        help_text=(
            "Alert when it opens: mail to ADMINS and a POST to ALERT_WEBHOOK_URL, at most once "
            "per 15 minutes per breaker."
        ),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "circuit breaker"
        constraints = [
            models.CheckConstraint(
                condition=Q(mode__in=Mode.values),
                name="resilience_breakerconfig_mode_valid",
            ),
            models.CheckConstraint(
                condition=Q(window_type__in=WindowType.values),
                name="resilience_breakerconfig_window_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(failure_rate_threshold__gte=0, failure_rate_threshold__lte=100)
                & Q(slow_call_rate_threshold__gte=0, slow_call_rate_threshold__lte=100),
                name="resilience_breakerconfig_rates_are_percentages",
            ),
            models.CheckConstraint(
                condition=Q(window_size__gte=1, minimum_calls__gte=1)
                & (
                    Q(window_type=WindowType.COUNT, window_size__lte=MAX_COUNT_WINDOW)
                    | Q(window_type=WindowType.TIME, window_size__lte=MAX_TIME_WINDOW)
                ),
                name="resilience_breakerconfig_window_size_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(window_type=WindowType.COUNT) | Q(minimum_calls__lte=F("window_size")),
                name="resilience_breakerconfig_minimum_calls_fit_window",
            ),
            models.CheckConstraint(
                condition=Q(slow_call_rate_threshold=0) | Q(slow_call_duration__gt=0),
                name="resilience_breakerconfig_slow_rule_has_duration",
            ),
            models.CheckConstraint(
                condition=Q(failure_threshold__gt=0)
                | Q(failure_rate_threshold__gt=0)
                | Q(slow_call_rate_threshold__gt=0),
                name="resilience_breakerconfig_some_rule_opens_it",
            ),
            models.CheckConstraint(
                condition=Q(recovery_timeout__gt=0, recovery_backoff__gte=1)
                & Q(recovery_timeout_max__gte=F("recovery_timeout")),
                name="resilience_breakerconfig_recovery_valid",
            ),
            models.CheckConstraint(
                condition=Q(half_open_max_calls__gte=1, success_threshold__gte=1)
                & Q(success_threshold__lte=F("half_open_max_calls")),
                name="resilience_breakerconfig_half_open_can_close",
            ),
            models.CheckConstraint(
                condition=Q(max_half_open_wait__gt=0, call_timeout__gte=0)
                & Q(max_half_open_wait__gte=F("call_timeout")),
                name="resilience_breakerconfig_trial_outlives_call_timeout",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = self.to_policy().errors()
        if errors:
            raise ValidationError({key: [message] for key, message in errors.items()})

    def to_policy(self) -> BreakerPolicy:
        values: dict[str, Any] = {key: getattr(self, key) for key in EDITABLE_FIELDS}
        return BreakerPolicy(name=self.name, **values)


class BreakerState(models.Model):
    """The last transition each breaker made, as the process that saw it recorded it.

    The stores hold the live state; this row lets the admin and reports show when a breaker
    last changed without asking the store, and carries the alert dedupe timestamp.
    """

    config = models.OneToOneField(
        BreakerConfig, on_delete=models.CASCADE, primary_key=True, related_name="state"
    )
    state = models.CharField(
        max_length=10, choices=BreakerStateChoice.choices, default=BreakerStateChoice.CLOSED
    )
    gen = models.BigIntegerField(default=0, help_text="Store generation of the last transition.")
    reason = models.CharField(max_length=40, blank=True)
    calls = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    slow = models.PositiveIntegerField(default=0)
    consecutive_failures = models.PositiveIntegerField(default=0)
    trips = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "circuit breaker state"
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=BreakerStateChoice.values),
                name="resilience_breakerstate_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.config_id}: {self.state}"


class BreakerEvent(models.Model):
    """Audit log: every transition and every operator change, with who made it."""

    breaker_name = models.CharField(max_length=100, db_index=True)
    kind = models.CharField(max_length=20, choices=BreakerEventKind.choices)
    from_state = models.CharField(max_length=10, choices=BreakerStateChoice.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=BreakerStateChoice.choices, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "circuit breaker event"
        indexes = [
            models.Index(fields=["breaker_name", "-created_at"], name="resilience_event_name_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=BreakerEventKind.values),
                name="resilience_breakerevent_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind=BreakerEventKind.TRANSITION)
                | (~Q(from_state="") & ~Q(to_state="")),
                name="resilience_breakerevent_transition_has_states",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.breaker_name} {self.kind} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class BreakerStoreRecord(models.Model):
    """DatabaseStore's state of one breaker (machine.Machine as JSON), locked per operation."""

    name = models.CharField(max_length=100, unique=True)
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "circuit breaker store record"

    def __str__(self) -> str:
        return self.name
