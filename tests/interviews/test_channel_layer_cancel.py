"""A cancelled channel-layer receive always ends (interviewsite/channel_layer.py).

Channels cancels a consumer's layer receive when its socket goes and waits for it to end.
redis-py swallows a cancellation that lands at the wrong moment of channels-redis's blocking
BZPOPMIN, and the receive then never ends: under load the WebSocket fuzz test once waited
300 s on one consumer in CI. The moment is a few milliseconds wide, so this cancels receives
at random points of their first milliseconds against the real Redis: with channels-redis's
own layer about one in five never ends.
"""

import asyncio
import random
from typing import Any

import pytest
from channels.layers import get_channel_layer

pytestmark = pytest.mark.services

TRIES = 40
ENDS_WITHIN_SECONDS = 1.0


async def _cancel_receives(layer: Any) -> list[float]:
    stuck = []
    rng = random.Random(2028)
    for _ in range(TRIES):
        name = await layer.new_channel()
        receive = asyncio.ensure_future(layer.receive(name))
        delay = rng.uniform(0, 0.004)
        await asyncio.sleep(delay)
        receive.cancel()
        done, _ = await asyncio.wait({receive}, timeout=ENDS_WITHIN_SECONDS)
        if not done:
            stuck.append(round(delay * 1000, 2))
            while not receive.done():  # end it, so the next try starts clean
                receive.cancel()
                await asyncio.wait({receive}, timeout=0.1)
    return stuck


def test_cancelled_receive__always_ends(redis_url: str) -> None:
    layer = get_channel_layer()
    stuck = asyncio.run(_cancel_receives(layer))
    assert not stuck, (
        f"{len(stuck)} of {TRIES} cancelled receives were still running "
        f"{ENDS_WITHIN_SECONDS}s later (cancelled after these ms: {stuck})"
    )
