"""System check of the dead-letter settings (registered in ResilienceConfig.ready())."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error


def check_dead_letter_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for name in ("DLQ_RETENTION_DAYS", "DLQ_MAX_ROWS"):
        value = getattr(settings, name, 1)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors.append(
                Error(f"{name} must be a whole number of at least 1.", id="resilience.E040")
            )
    critical = getattr(settings, "CRITICAL_TASKS", [])
    if not isinstance(critical, list | tuple) or not all(isinstance(t, str) for t in critical):
        errors.append(
            Error("CRITICAL_TASKS must be a list of Celery task names.", id="resilience.E041")
        )
    url = getattr(settings, "ALERT_WEBHOOK_URL", "")
    if url and urlsplit(url).scheme not in ("http", "https"):
        errors.append(Error("ALERT_WEBHOOK_URL must be an http(s) URL.", id="resilience.E042"))
    return errors
