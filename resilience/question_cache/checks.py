"""System check of the question cache settings, run with every management command and
server start, so a typo in QUESTION_CACHE_PREWARM fails the deploy rather than the 3 a.m.
pre-warm run."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from resilience.conf import resilience_settings
from resilience.question_cache.backends import load_backend
from resilience.question_cache.prewarm import prewarm_problems, source_path


def check_question_cache_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    conf = resilience_settings()
    errors: list[CheckMessage] = []
    try:
        load_backend(conf.question_cache_backend)
    except ImproperlyConfigured as exc:
        errors.append(
            Error(
                f"{exc}.",
                hint="Use resilience.question_cache.backends.database.DatabaseBackend or "
                "resilience.question_cache.backends.memory.MemoryBackend.",
                id="resilience.E020",
            )
        )
    for name, id_ in (("QUESTION_CACHE_TTL_DAYS", "E021"), ("QUESTION_CACHE_MAX_PER_KEY", "E022")):
        value = getattr(conf, name.lower())
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                Error(f"{name} must be a whole number of at least 1.", id=f"resilience.{id_}")
            )
    errors.extend(
        Error(
            f"{problem}.",
            hint="Write each item as topic:difficulty:language, e.g. 'django orm:medium:en'; "
            "difficulty is easy, medium or hard.",
            id="resilience.E023",
        )
        for problem in prewarm_problems(conf.question_cache_prewarm)
    )
    errors.extend(_source_errors())
    return errors


def _source_errors() -> list[CheckMessage]:
    path = source_path()
    if not path:
        if resilience_settings().question_cache_prewarm:
            return [
                Warning(
                    "QUESTION_CACHE_PREWARM is set but QUESTION_CACHE_SOURCE is empty: "
                    "nothing can write the questions, so the pre-warm task does nothing.",
                    id="resilience.W020",
                )
            ]
        return []
    try:
        import_string(path)
    except ImportError:
        return [Error(f"QUESTION_CACHE_SOURCE {path!r} cannot be imported.", id="resilience.E024")]
    return []
