"""Log records carry the request id and no secrets; one formatter for humans, one for pipelines.

Configured from settings.LOGGING: the `request_id` and `scrub_secrets` filters sit on the
handler, so records of every logger (Django, Celery, uvicorn, ours) pass them before any
formatter runs.
"""

import logging
import re
from typing import Any

from monitoring.conf import monitoring_settings
from monitoring.context import current_request_id

CONSOLE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ("levelname", "name", "message", "request_id", "process")


REDACTED = "[redacted]"
# What must never reach a log: an invite link's path segment, any `token=` value (invite
# tokens in WebSocket URLs, HEALTH_TOKEN in probe URLs), percent-encoded or not, and bearer
# credentials. Over-redacting a harmless match is fine; leaking one token is not.
SECRET_PATTERNS = (
    (re.compile(r"(/i/)[^/\s?#\"'<>]+"), rf"\g<1>{REDACTED}"),
    (
        re.compile(r"(?i)((?:(?<![a-z0-9])|(?<=%3f)|(?<=%26))token(?:=|%3d))[^&;\s#\"'<>%]*"),
        rf"\g<1>{REDACTED}",
    ),
    (re.compile(r"(?i)(\bbearer\s+)[^\s,;\"'<>]+"), rf"\g<1>{REDACTED}"),
)
# LogRecord's own attributes: anything else on a record came from `extra=` and is scrubbed.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


def scrub(text: str) -> str:
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _scrub_value(value: Any) -> Any:
    """An `extra=` value with its secrets gone, or the value itself if it holds none. An object
    whose text holds one becomes that text scrubbed: the JSON formatter prints objects as
    str() anyway (django.request's `request` shows the path and query string)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        items = {key: _scrub_value(item) for key, item in value.items()}
        return items if any(items[k] is not value[k] for k in value) else value
    if isinstance(value, list | tuple):
        scrubbed_items = [_scrub_value(item) for item in value]
        changed = any(a is not b for a, b in zip(scrubbed_items, value, strict=True))
        return scrubbed_items if changed else value
    text = value if isinstance(value, str) else str(value)
    scrubbed = scrub(text)
    return scrubbed if scrubbed != text else value


class SecretScrubFilter(logging.Filter):
    """Redacts secrets from a record's message and its `extra=` values.

    The message is rendered once (msg % args) and stored scrubbed, because the secret is
    usually an argument (uvicorn's access line, django.request's "Not Found: %s").
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A malformed call: let the handler report it as usual, with the secrets gone.
            message = str(record.msg)
        scrubbed = scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        for name, value in list(vars(record).items()):
            if name not in _RECORD_ATTRS:
                setattr(record, name, _scrub_value(value))
        # Tracebacks are rendered by the formatter (build_formatter's scrub them); exc_info
        # stays on the record for anything else that inspects it. A traceback some other
        # formatter already rendered and cached is scrubbed here.
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class _ScrubbedTracebacks:
    """Formatter mixin: tracebacks and stacks come out scrubbed (exception messages and
    local paths can carry a token as well as log messages can)."""

    def formatException(self, ei: Any) -> Any:
        formatted = super().formatException(ei)  # type: ignore[misc]
        return scrub(formatted) if isinstance(formatted, str) else [scrub(x) for x in formatted]

    def formatStack(self, stack_info: str) -> Any:
        formatted = super().formatStack(stack_info)  # type: ignore[misc]
        return scrub(formatted) if isinstance(formatted, str) else [scrub(x) for x in formatted]


class ConsoleFormatter(_ScrubbedTracebacks, logging.Formatter):
    pass


def build_formatter(**kwargs: Any) -> logging.Formatter:
    """The formatter LOG_FORMAT asks for: `json` (one object per line) or `console`.

    Called by logging.config when Django configures logging, after settings are loaded, so
    the choice can live with the other monitoring settings.
    """
    if monitoring_settings().log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        class ScrubbedJsonFormatter(_ScrubbedTracebacks, JsonFormatter):
            pass

        # `timestamp`: ISO 8601 in UTC from the record's creation time; `extra=` fields of a
        # call (route, duration_ms, error_id, ...) become keys of their own.
        return ScrubbedJsonFormatter(
            JSON_FIELDS,
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )
    return ConsoleFormatter(CONSOLE_FORMAT)
