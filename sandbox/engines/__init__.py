"""The engine interface and the configured engine (SANDBOX_ENGINE, a dotted path).

An engine runs code against a test suite within limits and returns a RunResult. It raises
InvalidRunRequest for a request it must not run (before running anything) and EngineUnavailable
when it cannot run anything now; every other outcome of the code is a RunResult status.
"""

import threading
from typing import Protocol, runtime_checkable

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from sandbox.conf import sandbox_settings
from sandbox.types import Limits, RunResult, TestSuite


@runtime_checkable
class SandboxEngine(Protocol):
    name: str

    def run(
        self, code: str | bytes, language: str, tests: TestSuite, limits: Limits | None = None
    ) -> RunResult:
        """Run `code` against `tests`; `limits` defaults to the configured ones."""


_lock = threading.Lock()
_engine: SandboxEngine | None = None


def get_engine() -> SandboxEngine:
    """The process-wide engine named by SANDBOX_ENGINE."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                path = sandbox_settings().engine
                try:
                    engine_class = import_string(path)
                except ImportError as exc:
                    raise ImproperlyConfigured(
                        f"SANDBOX_ENGINE {path!r} cannot be imported"
                    ) from exc
                engine = engine_class()
                if not isinstance(engine, SandboxEngine):
                    raise ImproperlyConfigured(f"SANDBOX_ENGINE {path!r} is not a sandbox engine")
                _engine = engine
    return _engine


def reset_engine() -> None:
    global _engine
    with _lock:
        _engine = None
