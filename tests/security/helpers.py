"""Helpers for the security tests: client addresses of their own, sockets from an address."""

import itertools
import random

from channels.testing.websocket import WebsocketCommunicator

from interviewsite.asgi import application
from tests.interviews.ws import ORIGIN

# Failed-token counts live in the shared cache (Redis) for a minute or two. Each test takes
# fresh addresses from the benchmarking range 198.18.0.0/15, so no two tests (or two runs
# within a minute) share a count, and no test leaves 127.0.0.1 blocked for the rest of a suite.
_counter = itertools.count(random.randrange(2**17))


def fresh_address() -> str:
    n = next(_counter) % 2**17
    return f"198.{18 + n // 65536}.{n // 256 % 256}.{n % 256}"


def communicator(
    path: str, *, client_address: str, headers: list[tuple[bytes, bytes]] = ORIGIN
) -> WebsocketCommunicator:
    """A WebsocketCommunicator whose scope has a peer address, as uvicorn's would."""
    comm = WebsocketCommunicator(application, path, headers=headers)
    # The application task starts on the next loop turn and reads this same dict.
    comm.scope["client"] = [client_address, 50000]
    return comm
