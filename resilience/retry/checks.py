"""System check of the retry settings, run at start-up (ids kept from when it was part of the
breaker checks)."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error

from resilience.conf import resilience_settings


def check_retry_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    conf = resilience_settings()
    attempts, base, cap = conf.max_retry_attempts, conf.retry_base_delay, conf.retry_max_delay
    errors: list[CheckMessage] = []
    if not isinstance(attempts, int) or attempts < 1:
        errors.append(Error("MAX_RETRY_ATTEMPTS must be at least 1.", id="resilience.E007"))
    if not isinstance(base, int | float) or base <= 0:
        errors.append(Error("RETRY_BASE_DELAY must be more than 0 seconds.", id="resilience.E008"))
    elif not isinstance(cap, int | float) or cap < base:
        errors.append(
            Error("RETRY_MAX_DELAY must be at least RETRY_BASE_DELAY.", id="resilience.E009")
        )
    return errors
