"""Counting a redis-py client's round trips: each command, pipeline or script call takes one
connection from the client's pool for one exchange, so the pool's hand-outs count them."""

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def redis_round_trips(client: Any) -> Iterator[list[str]]:
    """The round trips `client` makes inside the block, one entry each."""
    sent: list[str] = []
    pool = client.connection_pool
    real = pool.get_connection

    def counted(*args: Any, **kwargs: Any) -> Any:
        sent.append("round trip")
        return real(*args, **kwargs)

    pool.get_connection = counted
    try:
        yield sent
    finally:
        del pool.get_connection
