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

from interviewsite.appconf import register_type_check, settings_from, type_problems
from sandbox.types import Limits

ISOLATION_MODES = ("auto", "namespaces", "none")


@dataclass(frozen=True, slots=True)
class SandboxDeclared:
    """The settings as written: field names are the settings' names in lower case, and their
    defaults, applied when a setting is absent, are the only ones in the code
    (interviewsite/appconf.py). SandboxSettings is what the engines use, derived from them."""

    sandbox_engine: str = "sandbox.engines.local.LocalEngine"
    sandbox_cpu_seconds: float = 5.0
    sandbox_wall_seconds: float = 10.0
    sandbox_memory_mb: int = 256
    sandbox_processes: int = 32
    sandbox_file_mb: int = 16
    sandbox_output_kb: int = 64
    sandbox_max_code_bytes: int = 65536
    sandbox_max_tests: int = 50
    sandbox_max_tests_bytes: int = 262144
    sandbox_python: str = ""  # "": the system's python3
    sandbox_node: str | None = None  # None: node on PATH; "": no JavaScript
    sandbox_isolation: str = "auto"
    sandbox_uid_base: int = 200000
    sandbox_uid_count: int = 256
    sandbox_hide_paths: list[str] = field(default_factory=list)
    sandbox_state_dir: str = ""  # "": VAR_DIR/sandbox
    sandbox_piston_url: str = ""
    sandbox_piston_runtimes: dict[str, str] = field(default_factory=dict)
    sandbox_piston_timeout_seconds: float = 5.0


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
    """The settings; ImproperlyConfigured naming each setting of the wrong type."""
    declared = settings_from(SandboxDeclared)
    problems = type_problems(declared)
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
    limits = Limits(
        cpu_seconds=float(declared.sandbox_cpu_seconds),
        wall_seconds=float(declared.sandbox_wall_seconds),
        memory_bytes=declared.sandbox_memory_mb * 1024 * 1024,
        processes=declared.sandbox_processes,
        file_bytes=declared.sandbox_file_mb * 1024 * 1024,
        output_bytes=declared.sandbox_output_kb * 1024,
    )
    node = declared.sandbox_node
    # The project's own directories are never visible to a run.
    var_dir = settings.VAR_DIR
    hide = [str(settings.BASE_DIR), str(var_dir), *declared.sandbox_hide_paths]
    return SandboxSettings(
        engine=declared.sandbox_engine,
        limits=limits,
        max_code_bytes=declared.sandbox_max_code_bytes,
        max_tests=declared.sandbox_max_tests,
        max_tests_bytes=declared.sandbox_max_tests_bytes,
        python=declared.sandbox_python or _interpreter(),
        node=(shutil.which("node") or "") if node is None else node,
        isolation=declared.sandbox_isolation,
        uid_base=declared.sandbox_uid_base,
        uid_count=declared.sandbox_uid_count,
        hide_paths=tuple(dict.fromkeys(hide)),
        state_dir=declared.sandbox_state_dir or f"{var_dir}/sandbox",
        piston_url=declared.sandbox_piston_url.rstrip("/"),
        piston_runtimes=dict(declared.sandbox_piston_runtimes),
        piston_timeout_seconds=float(declared.sandbox_piston_timeout_seconds),
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


register_type_check(lambda: settings_from(SandboxDeclared), "sandbox.E050")
