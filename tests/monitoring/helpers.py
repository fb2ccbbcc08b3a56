"""Helpers for the monitoring tests: raw HTTP, process environments."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from kombu.transport import filesystem

from interviewsite.celery import app
from tests.e2e.stack import base_env, database_url

HEALTH_TOKEN = "health-token-for-tests"
TEST_SECRET_KEY = "monitoring-tests-secret-key-0123456789abcdef0123456789abcdef"


def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raw_request(port: int, head: bytes, body_parts: list[bytes], timeout: float = 20) -> bytes:
    """Send a request head and some body bytes, never finishing the body; return the reply.

    A reply that arrives at all proves the server answered without reading the whole body.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        for part in body_parts:
            sock.sendall(part)
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < _length(reply):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply


def _length(reply: bytes) -> int:
    for line in reply.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def stack_env(var: Path, **overrides: str) -> dict[str, str]:
    """An environment for server processes, with its own VAR_DIR and metrics directory."""
    env = base_env(
        VAR_DIR=str(var),
        PROMETHEUS_MULTIPROC_DIR=str(var / "prometheus"),
        HEALTH_TOKEN=HEALTH_TOKEN,
        **overrides,
    )
    env.setdefault("SECRET_KEY", TEST_SECRET_KEY)
    return env


def services_env(var: Path, redis_url: str, **overrides: str) -> dict[str, str]:
    """PostgreSQL (the test database) and this run's Redis databases (REDIS_URL's four; the
    broker is the first: tests that start a worker flush it first, so no task queued by an
    earlier test reaches it)."""
    return stack_env(
        var,
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        **overrides,
    )


def get_json(port: int, path: str, **headers: str) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=30)
    return response.status_code, response.json()


def detailed(port: int, path: str) -> tuple[int, dict[str, Any]]:
    return get_json(port, path, Authorization=f"Bearer {HEALTH_TOKEN}", Accept="application/json")


@contextmanager
def celery_broker(url: str, **transport_options: Any) -> Iterator[None]:
    """Point this process's Celery app at another broker for the duration."""
    # kombu's filesystem transport remembers declared bindings per process, not per folder:
    # forget them, or queues declared on the project's broker are never declared on this one.
    filesystem.Transport.global_state.clear()
    saved = {
        "broker_url": app.conf.broker_url,
        "broker_transport_options": app.conf.broker_transport_options,
    }
    app.conf.update(
        broker_url=url,
        broker_transport_options=transport_options or saved["broker_transport_options"],
    )
    try:
        yield
    finally:
        app.conf.update(saved)
        filesystem.Transport.global_state.clear()


def filesystem_broker_options(root: Path) -> dict[str, Any]:
    for sub in ("queue", "processed", "control"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(root / "queue"),
        "data_folder_out": str(root / "queue"),
        "processed_folder": str(root / "processed"),
        "control_folder": str(root / "control"),
        "store_processed": False,
    }


def pid_files(directory: Path, prefix: str) -> list[str]:
    return sorted(p.name for p in directory.glob(f"{prefix}_*.db")) if directory.exists() else []
