"""Log records carry the request id; one formatter for humans, one for log pipelines.

Configured from settings.LOGGING: the `request_id` filter sits on the handler, so records of
every logger (Django, Celery, ours) get the attribute before any formatter runs.
"""

import logging
from typing import Any

from django.conf import settings

from monitoring.context import current_request_id

CONSOLE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ("levelname", "name", "message", "request_id", "process")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


def build_formatter(**kwargs: Any) -> logging.Formatter:
    """The formatter LOG_FORMAT asks for: `json` (one object per line) or `console`.

    Called by logging.config when Django configures logging, after settings are loaded, so
    the choice can live with the other monitoring settings.
    """
    if getattr(settings, "LOG_FORMAT", "console") == "json":
        from pythonjsonlogger.json import JsonFormatter

        # `timestamp`: ISO 8601 in UTC from the record's creation time; `extra=` fields of a
        # call (route, duration_ms, error_id, ...) become keys of their own.
        return JsonFormatter(
            JSON_FIELDS,
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )
    return logging.Formatter(CONSOLE_FORMAT)
