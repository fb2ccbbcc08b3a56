"""One pooled httpx.Client per process per provider.

Building a client costs tens of milliseconds and every new TLS connection a few round trips,
so each provider keeps one client for the life of the process. It is created lazily under a
lock (requests come from many worker threads) and again after a fork, because a client
inherited from the parent shares its sockets with it.

Every request ends by its timeout as a whole, not only per read (interviews/llm/transport.py):
a reply trickling in a few bytes at a time is cut at the deadline like a silent one.

The client makes exactly one attempt per request: retries, back-off and Retry-After belong to
the gateway's retry helper, which also knows the deadline. A dropped or refused connection
surfaces as an error and is counted; the pool discards the broken connection by itself and
opens a fresh one for the next attempt.
"""

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import httpx

from interviews.llm import metrics
from interviews.llm.transport import DeadlineTransport, call_deadline

logger = logging.getLogger(__name__)

# Upstream connection lost or refused; the next attempt gets a new connection from the pool.
CONNECTION_ERRORS = (httpx.RemoteProtocolError, httpx.ConnectError, httpx.ReadError)
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30)
TransportFactory = Callable[[], httpx.BaseTransport]


def _default_transport() -> httpx.BaseTransport:
    return DeadlineTransport(limits=LIMITS)


class ProviderPool:
    def __init__(self, provider: str, *, transport: TransportFactory = _default_transport) -> None:
        self.provider = provider
        self._transport = transport
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._pid = 0
        self._reconnections = metrics.RECONNECTIONS.labels(provider=provider)

    def client(self) -> httpx.Client:
        client = self._client
        if client is not None and self._pid == os.getpid():
            return client
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                # The parent's client is dropped, not closed: closing would touch sockets the
                # parent still uses.
                self._client = httpx.Client(transport=self._transport(), follow_redirects=False)
                self._pid = os.getpid()
            return self._client

    def post(
        self, url: str, *, headers: dict[str, str], json: dict[str, Any], timeout: float
    ) -> httpx.Response:
        """One POST that is over within `timeout` seconds, body included; raises on transport
        errors only (a cut request raises httpx.TimeoutException)."""
        try:
            with call_deadline(timeout):
                return self.client().post(
                    url, headers=headers, json=json, timeout=httpx.Timeout(timeout)
                )
        except CONNECTION_ERRORS as exc:
            self._reconnections.inc()
            logger.warning("%s: upstream connection lost (%s); reconnecting", self.provider, exc)
            raise

    def close(self) -> None:
        with self._lock:
            if self._client is not None and self._pid == os.getpid():
                self._client.close()
            self._client = None


_pools: dict[str, ProviderPool] = {}
_pools_lock = threading.Lock()


def shared_pool(provider: str) -> ProviderPool:
    """The process-wide pool for `provider`, shared by every chain built in this process."""
    pool = _pools.get(provider)
    if pool is None:
        with _pools_lock:
            pool = _pools.setdefault(provider, ProviderPool(provider))
    return pool
