"""An httpx transport on which a whole request ends by its deadline, not only each read.

httpx's timeouts bound each phase of a request (connect, every single read and write), never
the request as a whole. A server that sends its headers at once and then a few bytes every
half second satisfies every read timeout while the reply takes a minute, and the call ends
as a success, so the breaker never hears of it.

The fix sits where httpcore waits on the socket: its network backend. `DeadlineBackend` wraps
httpcore's own synchronous backend and shortens every connect, read and write to what is left
of the current call's deadline (`call_deadline`, set by ProviderPool.post for the duration of
one request in the calling thread). Once it has passed, the next socket wait raises httpcore's
timeout, which httpx turns into its usual ConnectTimeout / ReadTimeout / WriteTimeout: the
chain and the breakers count it like any other timeout. This keeps httpx's pooling, protocol
handling and exception mapping, and needs no watchdog thread to interrupt a blocking read.
"""

import contextlib
import ssl
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

# time.monotonic() by which the request running in this thread must be over; None: no limit.
_deadline: ContextVar[float | None] = ContextVar("llm_call_deadline", default=None)

SocketOption = Any  # httpcore's SOCKET_OPTION union; only passed through


@contextlib.contextmanager
def call_deadline(seconds: float) -> Iterator[None]:
    """Every socket wait of the requests made inside the block ends `seconds` from now."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _clamped(timeout: float | None, expired: type[httpcore.TimeoutException]) -> float | None:
    at = _deadline.get()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise expired("the call's deadline has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamped(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend | None = None) -> None:
        self._backend = backend or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamped(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamped(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, with its connection pool on the DeadlineBackend.

    httpx.HTTPTransport takes no network backend, so the pool it builds is replaced by an
    identical one that has it (same limits, TLS context, no retries; no proxy is used here).
    """

    def __init__(self, *, limits: httpx.Limits) -> None:
        super().__init__(retries=0, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            retries=0,
            network_backend=DeadlineBackend(),
        )
