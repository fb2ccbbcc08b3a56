"""Start the real processes (uvicorn, Celery worker) for end-to-end tests, and stop them.

Each process writes to its own log file; a test failure prints the tails so a broken server is
diagnosable from CI output alone. Processes are stopped by the pid they were started with.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.log.name}) ---\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class Stack:
    env: dict[str, str]
    logs: Path
    procs: list[Proc] = field(default_factory=list)

    def start(self, name: str, *args: str) -> Proc:
        log = self.logs / f"{name}.log"
        handle = log.open("wb")
        popen = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def manage(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def uvicorn(self, port: int, *, workers: int = 1, name: str = "web") -> Proc:
        proc = self.start(
            name,
            str(BIN / "uvicorn"),
            "interviewsite.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--ws-max-size",
            "65536",
            "--log-level",
            "warning",
        )
        wait_http(f"http://127.0.0.1:{port}/admin/login/", proc)
        return proc

    def celery_worker(self, name: str = "worker", concurrency: int = 1) -> Proc:
        return self.start(
            name,
            str(BIN / "celery"),
            "-A",
            "interviewsite",
            "worker",
            "-Q",
            "evaluation,maintenance,sandbox",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "INFO",
            "-n",
            f"{name}@%h",
        )

    def logs_text(self) -> str:
        return "\n".join(p.tail() for p in self.procs)

    def stop_all(self) -> None:
        for proc in self.procs:
            stop(proc)


def stop(proc: Proc, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if proc.popen.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.popen.pid, sig)  # its own session: takes uvicorn/celery children too
    try:
        proc.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait(timeout=timeout)


def wait_http(url: str, proc: Proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise AssertionError(f"{proc.name} exited early\n{proc.tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s\n{proc.tail()}")


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
