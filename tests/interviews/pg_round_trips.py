"""Counting PostgreSQL round trips at the driver, below Django.

Django's CaptureQueriesContext sees the statements Django runs, but not the BEGIN and COMMIT
psycopg sends for a transaction, nor the pool's connection checks (CONN_HEALTH_CHECKS), which
cost a round trip each all the same. Every message psycopg 3 sends that waits for an answer
goes through one of the two methods patched here: a cursor's query, or a connection's own
command (BEGIN, COMMIT, ROLLBACK, SAVEPOINT).
"""

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from psycopg import _connection_base, _cursor_base, client_cursor


@dataclass
class RoundTrips:
    sent: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: Any) -> None:
        text = what.decode() if isinstance(what, bytes) else str(what)
        with self.lock:
            self.sent.append(text[:80])

    def take(self) -> list[str]:
        """What was sent since the last take (all threads), and start counting again."""
        with self.lock:
            sent, self.sent = self.sent, []
        return sent


@contextlib.contextmanager
def pg_round_trips() -> Iterator[RoundTrips]:
    trips = RoundTrips()
    patched = [
        (_cursor_base.BaseCursor, "_execute_send", lambda args: args[1].query),
        (client_cursor.ClientCursorMixin, "_execute_send", lambda args: args[1].query),
        (_connection_base.BaseConnection, "_exec_command", lambda args: args[1]),
    ]
    originals = []
    for cls, name, what in patched:
        original = cls.__dict__[name]  # KeyError if psycopg renamed it: the count is void
        originals.append((cls, name, original))

        def counting(*args: Any, _original: Any = original, _what: Any = what, **kw: Any) -> Any:
            trips.add(_what(args))
            return _original(*args, **kw)

        setattr(cls, name, counting)
    try:
        yield trips
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)
