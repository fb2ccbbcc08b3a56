"""A breaker's configuration as a typed, immutable value, and its one validation (used by the
model's `clean()`, the system check and the settings defaults alike).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from django.db import models

# Names become Redis keys, metric labels and admin rows: keep them plain.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
MAX_COUNT_WINDOW = 10_000  # calls; the count window is a byte per call in the store
MAX_TIME_WINDOW = 3_600  # seconds; the time window keeps one bucket per second with calls


class Mode(models.TextChoices):
    NORMAL = "normal", "Normal"
    FORCED_OPEN = "forced_open", "Forced open (reject every call)"
    FORCED_CLOSED = "forced_closed", "Forced closed (admit every call, record nothing)"
    METRICS_ONLY = "metrics_only", "Metrics only (admit every call, record, never open)"


class WindowType(models.TextChoices):
    COUNT = "count", "Last N calls"
    TIME = "time", "Last N seconds"


class InvalidPolicy(ValueError):
    """Raised by `BreakerPolicy.validate`; `errors` maps a field name to its message."""

    def __init__(self, name: str, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        detail = "; ".join(f"{key}: {msg}" for key, msg in self.errors.items())
        super().__init__(f"invalid circuit breaker configuration {name!r}: {detail}")


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    name: str
    enabled: bool = True  # off: calls pass straight through, nothing is recorded
    mode: str = Mode.NORMAL  # operator override; see Mode
    failure_threshold: int = 10  # consecutive failures that open it; 0 disables the rule
    failure_rate_threshold: float = 50.0  # % failed calls in the window that open it; 0 = off
    window_type: str = WindowType.COUNT  # what the window holds: last N calls or N seconds
    window_size: int = 100  # N calls (count window) or N seconds (time window)
    minimum_calls: int = 20  # calls the window needs before the rates are judged
    slow_call_duration: float = 30.0  # seconds from which a call counts as slow; 0 = never
    slow_call_rate_threshold: float = 100.0  # % slow calls in the window that open it; 0 = off
    recovery_timeout: float = 10.0  # seconds it stays open before the first trial
    recovery_backoff: float = 2.0  # open time multiplier for each consecutive re-opening
    recovery_timeout_max: float = 300.0  # cap on the open time however often it re-opens
    half_open_max_calls: int = 3  # trial calls admitted while half-open, across all processes
    success_threshold: int = 3  # successful trials that close it again
    max_half_open_wait: float = 60.0  # seconds a trial may take before its slot is released
    call_timeout: float = 0.0  # seconds; async calls are cancelled, sync ones fail late; 0 = off
    critical: bool = False  # staff are alerted (mail, webhook) when it opens

    @property
    def time_window(self) -> bool:
        return self.window_type == WindowType.TIME

    def errors(self) -> dict[str, str]:
        """The first problem of each field to fix."""
        errors: dict[str, str] = {}
        bad = errors.setdefault
        count = self.window_type == WindowType.COUNT
        if self.mode not in Mode.values:
            bad("mode", f"must be one of {', '.join(Mode.values)}")
        if self.window_type not in WindowType.values:
            bad("window_type", f"must be one of {', '.join(WindowType.values)}")
        if self.failure_threshold < 0:
            bad("failure_threshold", "must be 0 (off) or a positive number of failures")
        for key in ("failure_rate_threshold", "slow_call_rate_threshold"):
            if not 0 <= getattr(self, key) <= 100:
                bad(key, "must be a percentage between 0 (off) and 100")
        limit, unit = (MAX_COUNT_WINDOW, "calls") if count else (MAX_TIME_WINDOW, "seconds")
        if not 1 <= self.window_size <= limit:
            bad("window_size", f"must be between 1 and {limit} {unit} for this window type")
        if self.minimum_calls < 1:
            bad("minimum_calls", "must be at least 1")
        if count and self.minimum_calls > self.window_size:
            bad("minimum_calls", "cannot exceed window_size for a count window: rates never judged")
        if self.slow_call_duration < 0:
            bad("slow_call_duration", "must be 0 (off) or a positive number of seconds")
        if self.slow_call_rate_threshold > 0 and self.slow_call_duration <= 0:
            bad("slow_call_rate_threshold", "needs slow_call_duration > 0 (or set the rate to 0)")
        if not (
            self.failure_threshold or self.failure_rate_threshold or self.slow_call_rate_threshold
        ):
            bad(
                "failure_threshold",
                "every opening rule is off (failure_threshold, failure_rate_threshold and "
                "slow_call_rate_threshold are 0); use mode metrics_only or forced_closed instead",
            )
        if self.recovery_timeout <= 0:
            bad("recovery_timeout", "must be more than 0 seconds")
        if self.recovery_backoff < 1:
            bad("recovery_backoff", "must be at least 1 (1 keeps the open time constant)")
        if self.recovery_timeout_max < self.recovery_timeout:
            bad("recovery_timeout_max", "must be at least recovery_timeout")
        for key in ("half_open_max_calls", "success_threshold"):
            if getattr(self, key) < 1:
                bad(key, "must be at least 1")
        if self.success_threshold > self.half_open_max_calls:
            bad("success_threshold", "cannot exceed half_open_max_calls, or it could never close")
        if self.max_half_open_wait <= 0:
            bad("max_half_open_wait", "must be more than 0 seconds")
        if self.call_timeout < 0:
            bad("call_timeout", "must be 0 (off) or a positive number of seconds")
        if 0 < self.max_half_open_wait < self.call_timeout:
            bad(
                "max_half_open_wait",
                "must be at least call_timeout, or a trial still running would lose its slot",
            )
        return errors

    def validate(self) -> "BreakerPolicy":
        errors = self.errors()
        if errors:
            raise InvalidPolicy(self.name, errors)
        return self


EDITABLE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(BreakerPolicy) if f.init and f.name != "name"
)


def policy_from_mapping(name: str, values: Mapping[str, Any]) -> BreakerPolicy:
    """A policy from defaults plus `values` (settings, a model row); unknown keys are errors."""
    unknown = sorted(set(values) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidPolicy(name, {key: "unknown breaker setting" for key in unknown})
    return replace(BreakerPolicy(name=name), **dict(values))
