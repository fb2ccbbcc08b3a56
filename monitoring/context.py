"""The request id of the work being done now, safe across threads, asyncio tasks and Celery.

A ContextVar follows the code it belongs to: asgiref copies it into sync_to_async threads,
asyncio copies it into tasks, and the Celery hooks set it around each task from a message
header. Anything that logs reads it through the logging filter in monitoring.logging.
"""

import re
import uuid
from contextvars import ContextVar, Token

REQUEST_ID_HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(value: str | None) -> str:
    """The client's id if it is safe to echo and log (≤ 64 of [A-Za-z0-9._-]), else a new one."""
    if value and _VALID.fullmatch(value):
        return value
    return new_request_id()


def current_request_id() -> str | None:
    return request_id_var.get()


def bind_request_id(request_id: str | None) -> Token[str | None]:
    return request_id_var.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    request_id_var.reset(token)
