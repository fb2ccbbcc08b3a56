"""The real processes (uvicorn, Celery worker) of end-to-end tests: harness/stack.py's, with
the tests' defaults, and the test's own database and Redis in their environment.

Each process writes to its own log file; a test failure prints the tails so a broken server is
diagnosable from CI output alone. Processes are stopped by the pid they were started with.
"""

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness import stack as harness
from harness.stack import BIN, ROOT, Proc, stop, wait_http
from harness.stack import free_tcp_port as free_port

__all__ = ["BIN", "ROOT", "Proc", "Stack", "free_port", "stop", "wait_http"]


class Stack(harness.Stack):
    # The tests' workers log at INFO, and a node is `name@host` (the health page names it).
    worker_loglevel = "INFO"
    worker_node = "{name}@%h"

    def celery_worker_answering(self, name: str, timeout: float = 90, **options: Any) -> Proc:
        """`celery_worker(name=name, **options)`, once it answers a ping."""
        from interviewsite.celery import app
        from tests.waiting import wait_for

        proc = self.celery_worker(name=name, **options)
        node = f"{name}@{socket.gethostname()}"

        def answers() -> bool:
            if proc.popen.poll() is not None:
                raise AssertionError(f"worker exited early\n{proc.tail()}")
            return bool(app.control.ping(destination=[node], timeout=1.0))

        wait_for(answers, timeout, f"worker {node} to answer a ping")
        return proc

    def logs_text(self) -> str:
        return "\n".join(p.tail() for p in self.procs)


@contextlib.contextmanager
def stack(env: dict[str, str], logs: Path) -> Iterator[Stack]:
    running = Stack(env=env, logs=logs)
    try:
        yield running
    except BaseException:
        print(running.logs_text())  # shown by pytest for the failing test
        raise
    finally:
        running.stop_all()


def database_url() -> str:
    """DATABASE_URL for the processes a test starts: the run's own server and credentials, and
    this test's database (pytest-django's per-worker test copy), not the run's."""
    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + str(connection.settings_dict["NAME"])))


@contextlib.contextmanager
def web_server(redis_url: str, logs: Path, **overrides: str) -> Iterator[tuple[Stack, int]]:
    """One uvicorn on this test's database and Redis, its files under `logs`; (stack, port)."""
    env = base_env(
        DATABASE_URL=database_url(), REDIS_URL=redis_url, VAR_DIR=str(logs / "var"), **overrides
    )
    port = free_port()
    with stack(env, logs) as running:
        running.uvicorn(port)
        yield running, port


def base_env(**overrides: str) -> dict[str, str]:
    """The test process's environment without the service URLs, plus `overrides`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "VAR_DIR"}
    }
    env.update({"PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": "interviewsite.settings"})
    # As in tests/settings.py: the start page's tests ask for it with an override.
    env.setdefault("INTERVIEW_CONSENT_REQUIRED", "false")
    env.update(overrides)
    return env
