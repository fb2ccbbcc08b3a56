"""System check of the dead-letter settings (registered in ResilienceConfig.ready())."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error

from resilience.conf import resilience_settings


def check_dead_letter_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    conf = resilience_settings()
    errors: list[CheckMessage] = []
    for name in ("DLQ_RETENTION_DAYS", "DLQ_MAX_ROWS"):
        value = getattr(conf, name.lower())
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors.append(
                Error(f"{name} must be a whole number of at least 1.", id="resilience.E040")
            )
    critical = conf.critical_tasks
    if not isinstance(critical, list | tuple) or not all(isinstance(t, str) for t in critical):
        errors.append(
            Error("CRITICAL_TASKS must be a list of Celery task names.", id="resilience.E041")
        )
    url = conf.alert_webhook_url
    # A value that is no string at all is the type check's error (resilience.E050).
    if url and isinstance(url, str) and urlsplit(url).scheme not in ("http", "https"):
        errors.append(Error("ALERT_WEBHOOK_URL must be an http(s) URL.", id="resilience.E042"))
    return errors
