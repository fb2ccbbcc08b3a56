"""channels-redis's channel layer, with a receive that always ends when it is cancelled.

Every consumer waits for channel-layer messages in a receive that Channels cancels when the
socket goes (`await_many_dispatch`). channels-redis receives with a blocking BZPOPMIN through
redis-py, and redis-py swallows a cancellation that lands at the wrong moment of a blocking
command (redis/redis-py#2028): the receive then loops on BZPOPMIN for good, the consumer
that awaits its end never finishes, and with it the socket's cleanup, its count in the
open-sockets gauge and a graceful shutdown waiting for it. Measured here: about one cancel in
five, on an idle machine, swallowed. A cancellation that lands again is not swallowed, so this
layer runs the receive as its own task and, when cancelled, cancels that task until it ends.
"""

import asyncio
import logging
from typing import Any

from channels_redis import core

logger = logging.getLogger(__name__)

RECANCEL_EVERY_SECONDS = 0.05
RECANCEL_TRIES = 100  # 5 s: far past any swallowed cancel seen, short of a stuck shutdown


class RedisChannelLayer(core.RedisChannelLayer):
    async def receive(self, channel: str) -> dict[str, Any]:
        inner = asyncio.ensure_future(super().receive(channel))
        try:
            return await asyncio.shield(inner)
        except asyncio.CancelledError:
            await _cancel_until_done(inner)
            raise


async def _cancel_until_done(task: "asyncio.Future[Any]") -> None:
    for _ in range(RECANCEL_TRIES):
        task.cancel()
        await asyncio.wait({task}, timeout=RECANCEL_EVERY_SECONDS)
        if task.done():
            if not task.cancelled():
                task.exception()  # retrieved: a message or error at the moment of the cancel
            return
    logger.error("a channel-layer receive did not end after %d cancels", RECANCEL_TRIES)
