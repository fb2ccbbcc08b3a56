"""The sandbox's settings as one typed value, read once per process (docs/settings.md;
docs/sandbox.md). `reset_sandbox_settings` drops it when a test overrides a setting."""

import os
import shutil
import sys
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from sandbox.types import Limits

ISOLATION_MODES = ("auto", "namespaces", "none")


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    engine: str  # dotted path of the engine class
    limits: Limits  # default limits of a run
    max_code_bytes: int  # larger code is refused before it runs
    max_tests: int  # test cases per run
    max_tests_bytes: int  # all test arguments and expected values, as JSON
    python: str  # interpreter for Python runs (and the local runner's launcher)
    node: str  # node for JavaScript runs; "" means JavaScript is not offered
    isolation: str  # auto | namespaces | none (docs/sandbox.md, "Isolation")
    uid_base: int  # first of the unprivileged uids runs get, one per concurrent run
    uid_count: int  # how many; also the most runs one machine runs at once
    hide_paths: tuple[str, ...]  # host directories a run sees as empty
    state_dir: str  # where the local runner keeps its uid locks
    piston_url: str = field(repr=True)  # Piston's base URL, e.g. http://piston:2000
    piston_runtimes: dict[str, str] = field(default_factory=dict)  # language -> version
    piston_timeout_seconds: float = 5.0  # HTTP time on top of the run's own wall limit

    def languages(self) -> tuple[str, ...]:
        # SQL runs on SQLite inside the Python interpreter: available wherever Python is.
        return ("python", "javascript", "sql") if self.node else ("python", "sql")


def _interpreter() -> str:
    # The system's python3 first: a run's unprivileged uid must be able to read its standard
    # library, and an interpreter installed under a private home (pyenv in /root) is not
    # readable. Otherwise the base installation behind this virtualenv. Runs start it with
    # -I -S, so no site-packages (the project's dependencies) are importable there.
    system = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
    return system or os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def _read() -> SandboxSettings:
    get = getattr
    limits = Limits(
        cpu_seconds=float(get(settings, "SANDBOX_CPU_SECONDS", 5.0)),
        wall_seconds=float(get(settings, "SANDBOX_WALL_SECONDS", 10.0)),
        memory_bytes=int(get(settings, "SANDBOX_MEMORY_MB", 256)) * 1024 * 1024,
        processes=int(get(settings, "SANDBOX_PROCESSES", 32)),
        file_bytes=int(get(settings, "SANDBOX_FILE_MB", 16)) * 1024 * 1024,
        output_bytes=int(get(settings, "SANDBOX_OUTPUT_KB", 64)) * 1024,
    )
    node = get(settings, "SANDBOX_NODE", None)
    hide = [str(settings.BASE_DIR), str(get(settings, "VAR_DIR", settings.BASE_DIR))]
    hide += list(get(settings, "SANDBOX_HIDE_PATHS", []))
    runtimes: Any = get(settings, "SANDBOX_PISTON_RUNTIMES", {})
    return SandboxSettings(
        engine=get(settings, "SANDBOX_ENGINE", "sandbox.engines.local.LocalEngine"),
        limits=limits,
        max_code_bytes=int(get(settings, "SANDBOX_MAX_CODE_BYTES", 65536)),
        max_tests=int(get(settings, "SANDBOX_MAX_TESTS", 50)),
        max_tests_bytes=int(get(settings, "SANDBOX_MAX_TESTS_BYTES", 262144)),
        python=get(settings, "SANDBOX_PYTHON", "") or _interpreter(),
        node=(shutil.which("node") or "") if node is None else node,
        isolation=get(settings, "SANDBOX_ISOLATION", "auto"),
        uid_base=int(get(settings, "SANDBOX_UID_BASE", 200000)),
        uid_count=int(get(settings, "SANDBOX_UID_COUNT", 256)),
        hide_paths=tuple(dict.fromkeys(hide)),
        state_dir=str(get(settings, "SANDBOX_STATE_DIR", "") or f"{settings.VAR_DIR}/sandbox"),
        piston_url=str(get(settings, "SANDBOX_PISTON_URL", "")).rstrip("/"),
        piston_runtimes=dict(runtimes),
        piston_timeout_seconds=float(get(settings, "SANDBOX_PISTON_TIMEOUT_SECONDS", 5.0)),
    )


def settings_problems(conf: SandboxSettings) -> list[str]:
    """Everything wrong with the settings, as messages naming the setting to fix."""
    problems = []
    lim = conf.limits
    if lim.cpu_seconds <= 0 or lim.wall_seconds <= 0:
        problems.append("SANDBOX_CPU_SECONDS and SANDBOX_WALL_SECONDS must be above 0.")
    if lim.memory_bytes < 32 * 1024 * 1024:
        problems.append("SANDBOX_MEMORY_MB must be at least 32 (an interpreter needs it).")
    if lim.processes < 1 or lim.file_bytes < 1 or lim.output_bytes < 1:
        problems.append("SANDBOX_PROCESSES, SANDBOX_FILE_MB and SANDBOX_OUTPUT_KB must be >= 1.")
    if conf.isolation not in ISOLATION_MODES:
        problems.append(f"SANDBOX_ISOLATION must be one of {', '.join(ISOLATION_MODES)}.")
    if conf.uid_base < 1000 or conf.uid_count < 1:
        problems.append("SANDBOX_UID_BASE must be >= 1000 and SANDBOX_UID_COUNT >= 1.")
    if conf.engine.endswith("PistonEngine") and not conf.piston_url:
        problems.append("SANDBOX_PISTON_URL is required when SANDBOX_ENGINE is Piston.")
    if conf.max_code_bytes < 1 or conf.max_tests < 1 or conf.max_tests_bytes < 1:
        problems.append("SANDBOX_MAX_CODE_BYTES, _MAX_TESTS and _MAX_TESTS_BYTES must be >= 1.")
    return problems


@cache
def sandbox_settings() -> SandboxSettings:
    conf = _read()
    problems = settings_problems(conf)
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
    return conf


def reset_sandbox_settings(**kwargs: Any) -> None:
    sandbox_settings.cache_clear()
    from sandbox.engines import reset_engine

    reset_engine()
