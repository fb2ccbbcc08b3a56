"""A REDIS_URL whose four databases do not all exist stops the web and the worker at start-up
with a message naming them, and /health/ready/ reports it.

REDIS_URL's database number is the first of four (interviewsite/settings/data.py). On a server
with 16 databases, `/14` once started fine and then failed every cache call (databases 16 and
17 do not exist): the guessing limit and the breaker store failed open, silently.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.test import Client

from tests.e2e.stack import ROOT, free_port

BIN = Path(sys.executable).parent
SMALL_SERVER_DATABASES = 8


@pytest.fixture
def small_redis(tmp_path: Path) -> Iterator[str]:
    """A private Redis server with 8 databases (0-7): its URL, without a database."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--databases", str(SMALL_SERVER_DATABASES),
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


def _env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL",)}
    env.update(
        REDIS_URL=redis_url,
        VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="interviewsite.settings",
        PYTEST_XDIST_WORKER="",
    )
    return env


def _run(args: list[str], env: dict[str, str], timeout: float = 90) -> tuple[int, str]:
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, output


def test_settings__a_base_that_runs_past_database_15__refused_naming_the_databases(
    tmp_path: Path,
) -> None:
    code, output = _run(
        [str(BIN / "python"), "manage.py", "check"],
        _env(tmp_path, "redis://127.0.0.1:6379/14"),
    )

    assert code != 0
    assert "ImproperlyConfigured" in output
    assert "databases 14-17" in output
    assert "16 and 17" in output


def test_web__a_server_without_the_databases__does_not_start(
    tmp_path: Path, small_redis: str
) -> None:
    port = free_port()
    code, output = _run(
        [str(BIN / "uvicorn"), "interviewsite.asgi:application", "--port", str(port)],
        _env(tmp_path, f"{small_redis}/6"),
    )

    assert code != 0
    assert "Application startup failed" in output
    assert "databases 8 and 9" in output
    assert f"has {SMALL_SERVER_DATABASES} databases" in output


def test_worker__a_server_without_the_databases__does_not_start(
    tmp_path: Path, small_redis: str
) -> None:
    code, output = _run(
        [str(BIN / "celery"), "-A", "interviewsite", "worker", "--concurrency", "1",
         "--loglevel", "INFO"],
        _env(tmp_path, f"{small_redis}/6"),
    )  # fmt: skip

    assert code != 0
    assert "databases 8 and 9" in output


@pytest.mark.django_db
def test_health_ready__reports_the_missing_databases(small_redis: str, settings: Any) -> None:
    settings.REDIS_URL = f"{small_redis}/6"

    response = Client().get("/health/ready/", HTTP_ACCEPT="application/json")

    assert response.status_code == 503
    check = response.json()["checks"]["redis_databases"]
    assert check["status"] == "unavailable"
    assert "databases 8 and 9" in check["message"]


@pytest.mark.django_db
def test_health_ready__all_four_databases_present__ok(small_redis: str, settings: Any) -> None:
    settings.REDIS_URL = f"{small_redis}/4"

    response = Client().get("/health/ready/", HTTP_ACCEPT="application/json")

    assert response.json()["checks"]["redis_databases"]["status"] == "ok"
