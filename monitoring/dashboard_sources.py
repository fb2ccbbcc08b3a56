"""The dashboard's panels fed by the resilience app: question cache and dead-letter queue."""

from typing import Any


def question_cache_summary() -> dict[str, Any] | None:
    return None


def dead_letter_summary() -> dict[str, Any] | None:
    return None
