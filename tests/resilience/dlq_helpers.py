"""Shared by the dead-letter tests: bounded waits, a real Celery worker, a webhook receiver."""

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tests.e2e.stack import Proc, Stack

if TYPE_CHECKING:
    from resilience.dlq.models import DeadLetter

T = TypeVar("T")

# Not a real task: retries sent to the broker must never run anywhere.
CRITICAL_TASK = "tests.resilience.no_such_module.fails"


def capture(
    task_id: str = "t-1", task_name: str = CRITICAL_TASK, attempts: int = 3
) -> "DeadLetter":
    """A terminal failure of `task_name`, as the worker's signal hook records it."""
    from resilience.dlq.services import dead_letter_capture

    return dead_letter_capture(
        task_name=task_name,
        task_id=task_id,
        queue="maintenance",
        args=["a"],
        kwargs={"note": "n"},
        exception_type="RuntimeError",
        exception_message="boom\nsecond line",
        traceback="Traceback (most recent call last):\n  ...\nRuntimeError: boom",
        attempts=attempts,
    )


def start_worker(running: Stack, *, name: str = "", timeout: float = 90) -> Proc:
    """A real prefork worker (one pool process) on every queue, with the test-only tasks;
    returns once it answers a ping."""
    name = name or f"dlq-{uuid.uuid4().hex[:8]}"
    return running.celery_worker_answering(name, timeout, imports=("tests.resilience.dlq_tasks",))


class Webhook:
    """A tiny HTTP server on 127.0.0.1 recording the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def webhook_server() -> Iterator[Webhook]:
    hook = Webhook()
    try:
        yield hook
    finally:
        hook.close()


def log_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
