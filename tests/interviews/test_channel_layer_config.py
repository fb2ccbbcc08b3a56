"""The Redis channel layer must not time out its own idle receive.

channels-redis waits for a socket's next message with a blocking BZPOPMIN of `brpop_timeout`
(5 s) and simply loops when it returns empty. redis-py 8 gives every connection a default
client-side `socket_timeout` of 5 s as well, so the client read races the server's reply: when
the client loses, `receive()` raises redis.exceptions.TimeoutError inside the consumer,
uvicorn logs "Exception in ASGI application" and closes the candidate's socket with 1011, and
the page has to reconnect, for an interview that was merely idle (reading or typing).
Settings give the layer's hosts an explicit `socket_timeout` above `brpop_timeout`, and the
lock keeps redis-py below 8 (docs/architecture.md, "Dependencies").
"""

import pytest
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

pytestmark = pytest.mark.services


def test_channel_layer_read_timeout_outlasts_its_blocking_receive(redis_url: str) -> None:
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer), "REDIS_URL is set: the layer must be Redis"
    connection = layer.create_pool(0).make_connection()
    timeout = connection.socket_timeout
    assert timeout is None or timeout > layer.brpop_timeout + 1, (
        f"a Redis connection of the channel layer times out reads after {timeout}s, which an "
        f"idle receive (BZPOPMIN for {layer.brpop_timeout}s) can exceed: idle sockets get "
        "closed with 1011"
    )
