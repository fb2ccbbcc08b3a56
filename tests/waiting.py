"""Waiting for something to happen in another thread or process, without fixed sleeps.

Limits are generous: they bound a broken run, they are not performance goals (a shared,
loaded machine must not fail a test by being slow).
"""

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T | None], timeout: float, what: str, *, interval: float = 0.1
) -> T:
    """Poll `predicate` until it returns something truthy and return that; fail the test
    after `timeout` seconds, naming `what` and the last value seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
        time.sleep(interval)
