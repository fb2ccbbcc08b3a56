"""Prometheus metrics of the candidate WebSocket (exposed by the monitoring app's /metrics)."""

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge

CONNECTIONS = Gauge(
    "interviews_ws_connections",
    "Candidate sockets open now, summed over every web process.",
    multiprocess_mode="livesum",
)
CONNECTS = Counter("interviews_ws_connects_total", "Candidate sockets accepted.")
DISCONNECTS = Counter(
    "interviews_ws_disconnects_total",
    "Candidate sockets closed, by close code; `aborted`: the consumer ended on an exception "
    "(e.g. the client vanished while a frame was being sent) before its disconnect handler ran.",
    ["code"],
)
RECONNECTS = Counter(
    "interviews_ws_reconnects_total",
    "Sockets that resumed an interview (a hello with last_seq > 0).",
)
FRAMES_IN = Counter("interviews_ws_frames_received_total", "Frames received from candidates.")
FRAMES_OUT = Counter(
    "interviews_ws_frames_sent_total", "Frames sent to candidates, by frame type.", ["type"]
)
ERROR_CLOSES = Counter(
    "interviews_ws_error_closes_total",
    "Sockets the server closed because of an error, by close code (4401 bad token, 4408 idle, "
    "4429 rate limited, 1011 send timeout, ...).",
    ["code"],
)

_KNOWN_CLOSE_CODES = frozenset(
    {1000, 1001, 1005, 1006, 1011, 1012, 1013, 4401, 4404, 4408, 4409, 4410, 4413, 4429}
)


def close_code(code: int | None) -> str:
    """A bounded label: clients may close with any code from 1000 to 4999."""
    return str(code) if code in _KNOWN_CLOSE_CODES else "other"


@contextmanager
def socket_open() -> Iterator[None]:
    """Counts a socket as open for its consumer's whole life, however that ends."""
    CONNECTIONS.inc()
    try:
        yield
    except BaseException:
        DISCONNECTS.labels(code="aborted").inc()
        raise
    finally:
        CONNECTIONS.dec()
