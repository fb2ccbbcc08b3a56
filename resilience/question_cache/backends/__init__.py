"""Question cache storage, chosen by dotted path in QUESTION_CACHE_BACKEND (like Django's
session engines): `database.DatabaseBackend` (the default, shared by every process and listed
in the admin) or `memory.MemoryBackend` (one process; tests and benchmarks)."""

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from resilience.question_cache.backends.base import (
    BackendStats,
    CacheEntry,
    QuestionCacheBackend,
)

__all__ = ["BackendStats", "CacheEntry", "QuestionCacheBackend", "get_backend", "load_backend"]

_lock = threading.Lock()
# One instance per dotted path, so a test that switches the setting gets its own backend and a
# memory backend keeps its contents for as long as the setting names it.
_backends: dict[str, QuestionCacheBackend] = {}


def load_backend(path: str) -> type[QuestionCacheBackend]:
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"QUESTION_CACHE_BACKEND {path!r} cannot be imported") from exc
    if not (isinstance(backend_class, type) and issubclass(backend_class, QuestionCacheBackend)):
        raise ImproperlyConfigured(f"QUESTION_CACHE_BACKEND {path!r} is not a QuestionCacheBackend")
    return backend_class


def get_backend() -> QuestionCacheBackend:
    path = settings.QUESTION_CACHE_BACKEND
    backend = _backends.get(path)
    if backend is None:
        with _lock:
            backend = _backends.get(path)
            if backend is None:
                backend = _backends[path] = load_backend(path).from_settings()
    return backend


def reset_backends() -> None:
    """Forget every backend instance (tests: a fresh memory backend)."""
    with _lock:
        _backends.clear()
