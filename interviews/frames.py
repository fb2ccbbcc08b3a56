"""Validation of client frames and the frame-rate rule, kept apart from the consumer so
both are plain, synchronous and testable on their own."""

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

MAX_SEQ = 2**31 - 1  # beyond any real interview, and inside every database's integer column


class FrameError(Exception):
    """A frame the server cannot act on; the client gets an error frame with `code`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_frame(raw: str | bytes) -> dict[str, Any]:
    try:
        frame = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise FrameError("invalid_json", "Messages must be JSON objects.") from exc
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise FrameError("invalid_frame", "Messages must be JSON objects with a 'type'.")
    return frame


def hello_last_seq(frame: dict[str, Any]) -> int:
    last_seq = frame.get("last_seq", 0)
    valid = isinstance(last_seq, int) and not isinstance(last_seq, bool)
    if not valid or not 0 <= last_seq <= MAX_SEQ:
        raise FrameError("invalid_last_seq", "'last_seq' must be a non-negative integer.")
    return int(last_seq)


def answer_fields(frame: dict[str, Any]) -> tuple[str, uuid.UUID]:
    text = frame.get("text")
    if not isinstance(text, str):
        raise FrameError("invalid_answer", "'text' must be a string.")
    raw_id = frame.get("client_msg_id")
    if not isinstance(raw_id, str):
        raise FrameError("invalid_client_msg_id", "'client_msg_id' must be a UUID string.")
    try:
        return text, uuid.UUID(raw_id)
    except ValueError as exc:
        raise FrameError("invalid_client_msg_id", "'client_msg_id' must be a UUID.") from exc


def rate_verdict(count: int, limit: int) -> str:
    """What the `count`th frame of a window gets: 'ok', 'warn' (over `limit`: an error frame,
    the frame ignored) or 'close' (over twice the limit: the socket is closed with 4429)."""
    if count > 2 * limit:
        return "close"
    return "warn" if count > limit else "ok"


@dataclass
class RateLimiter:
    """One socket's own fixed-window frame counter.

    The limit is counted per interview in the shared cache (interviews/services/rate_limits.py);
    this counter is the fallback while the cache cannot count, so a flood is still bounded per
    socket. A window rather than a token bucket because the answer is a yes/no per frame and
    the client only needs to slow down, not be shaped precisely.
    """

    window: float
    started: float = field(default_factory=time.monotonic)
    count: int = 0

    def hit(self) -> int:
        """Count one frame; the window's count so far, this one included."""
        now = time.monotonic()
        if now - self.started >= self.window:
            self.started, self.count = now, 0
        self.count += 1
        return self.count


def code_fields(frame: dict[str, Any]) -> tuple[object, object, uuid.UUID]:
    """`run_tests` / `submit_code`: (code, language, client_id). The code and the language are
    checked by the submissions service, which says what is wrong with them."""
    raw_id = frame.get("client_id")
    if not isinstance(raw_id, str):
        raise FrameError("invalid_client_id", "'client_id' must be a UUID string.")
    try:
        client_id = uuid.UUID(raw_id)
    except ValueError as exc:
        raise FrameError("invalid_client_id", "'client_id' must be a UUID.") from exc
    if not isinstance(frame.get("code"), str):
        raise FrameError("invalid_code", "'code' must be a string.")
    return frame["code"], frame.get("language"), client_id
