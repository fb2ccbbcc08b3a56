"""One event loop, one channel layer: the rule for tests that run the ASGI application.

A light module (no import of the ASGI application), so the autouse fixture that applies the
rule costs nothing to tests that never open a socket.
"""

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from channels.layers import channel_layers

T = TypeVar("T")


def fresh_channel_layer() -> None:
    """Forget the process's channel layer, so the next event loop builds its own.

    A server runs one event loop per process; tests start a new one per test, and a Hypothesis
    test one per example. channels keeps one layer object per process, and channels-redis's
    layer holds loop-bound state (its receive lock, the process channel's clean lock): a
    receive cancelled as one loop ends can leave that state behind, and the next loop's
    consumers then wait on it forever."""
    channel_layers.backends.clear()


def run_on_new_loop(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` for a test that runs the ASGI application more than once per test."""
    fresh_channel_layer()
    return asyncio.run(main)
