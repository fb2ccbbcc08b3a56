"""Breaker state in Redis, shared by every web and worker process.

Each operation is one EVALSHA of the script in redis_scripts.py: atomic, on Redis' clock, one
round trip. With the breaker's cached view (breaker.py) a guarded call while CLOSED costs one
round trip in total (the record), a call rejected while OPEN none (each process re-reads the
state once a second), a half-open trial two (acquire before it, record after it).

When Redis is unreachable the store fails open to a process-local MemoryStore: the outage is
logged once and counted (resilience_breaker_store_unavailable_total, and every operation served
locally in resilience_breaker_store_fallback_calls_total). Redis is tried again at most every
`reconnect_interval` seconds; once it answers, the shared state is used again and the local
state is dropped.
"""

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Self, cast
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from resilience import metrics
from resilience.breakers.config import BreakerPolicy
from resilience.breakers.machine import ms_to_datetime
from resilience.breakers.state import (
    Outcome,
    Reason,
    Reply,
    Snapshot,
    State,
    Transition,
    state_now,
)
from resilience.breakers.stores.base import BreakerStore, Clock, to_ms
from resilience.breakers.stores.memory import MemoryStore
from resilience.breakers.stores.redis_scripts import SCRIPT, SCRIPT_SHA

logger = logging.getLogger(__name__)

_STATES = (State.CLOSED, State.OPEN, State.HALF_OPEN)
_OP_ACQUIRE, _OP_RECORD, _OP_SNAPSHOT, _OP_RESET, _OP_HOLD = b"a", b"r", b"s", b"x", b"h"
_SHA = SCRIPT_SHA.encode()
_HEAD_ARGS = 8  # EVALSHA, sha, key count, 3 keys, operation, policy
_QUIET_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


def redacted(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=host))


class RedisStore(BreakerStore):
    label = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "resilience:breaker",
        clock: Clock | None = None,
        socket_timeout: float = 0.25,
        reconnect_interval: float = 1.0,
        client: redis.Redis | None = None,
    ) -> None:
        self.url = url
        self.prefix = prefix
        # None in production: the script reads Redis' clock. Tests inject one.
        self._clock = clock
        self._timeouts: dict[str, Any] = {
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": socket_timeout,
            "health_check_interval": 0,
            "protocol": 2,
        }
        # No client-side retries: a failed operation falls back at once instead of blocking the
        # guarded call; the reconnect interval paces the next attempt. `client` lets a
        # benchmark pass one that counts round trips.
        self._client = client or redis.Redis.from_url(
            url, retry=Retry(NoBackoff(), 0), **self._timeouts
        )
        # redis.asyncio connections belong to one event loop; keep one client per loop.
        self._aclients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.asyncio.Redis]
        self._aclients = weakref.WeakKeyDictionary()
        self._heads: dict[tuple[str, bytes, bytes], bytes] = {}
        self._fallback = MemoryStore(clock=clock) if clock else MemoryStore()
        self._reconnect_interval = reconnect_interval
        self._down = False
        self._retry_at = 0.0
        self._down_lock = threading.Lock()
        self._fallback_calls = metrics.BREAKER_STORE_FALLBACK_CALLS.labels(store=self.label)

    @classmethod
    def from_settings(cls) -> Self:
        url = getattr(settings, "BREAKER_REDIS_URL", "")
        if not url:
            raise ImproperlyConfigured(
                "BREAKER_STORE is the Redis store but BREAKER_REDIS_URL is empty (set REDIS_URL)."
            )
        return cls(url)

    @property
    def degraded(self) -> bool:
        """True while operations are served by the local fallback store."""
        return self._down

    # --- the four operations ----------------------------------------------------------------

    def acquire(self, name: str, policy: BreakerPolicy) -> Reply:
        if self._down and time.monotonic() < self._retry_at:
            return self._local_acquire(name, policy)
        try:
            raw = self._execute(self._command(name, _OP_ACQUIRE, policy))
        except RedisError as exc:
            self._went_down(exc)
            return self._local_acquire(name, policy)
        if self._down:
            self._came_back()
        return _reply(name, raw)

    def record(
        self,
        name: str,
        policy: BreakerPolicy,
        gen: int,
        lease: str,
        outcome: Outcome,
        slow: bool,
    ) -> Reply:
        if self._down and time.monotonic() < self._retry_at:
            return self._local_record(name, policy, gen, lease, outcome, slow)
        try:
            raw = self._execute(self._command(name, _OP_RECORD, policy, gen, lease, outcome, slow))
        except RedisError as exc:
            self._went_down(exc)
            return self._local_record(name, policy, gen, lease, outcome, slow)
        if self._down:
            self._came_back()
        return _reply(name, raw)

    def hold(self, name: str, policy: BreakerPolicy, seconds: float) -> Reply:
        if self._down and time.monotonic() < self._retry_at:
            self._fallback_calls.inc()
            return _as_local(self._fallback.hold(name, policy, seconds))
        try:
            raw = self._execute(self._command(name, _OP_HOLD, policy, hold_ms=to_ms(seconds)))
        except RedisError as exc:
            self._went_down(exc)
            self._fallback_calls.inc()
            return _as_local(self._fallback.hold(name, policy, seconds))
        if self._down:
            self._came_back()
        return _reply(name, raw)

    def snapshot(self, name: str, policy: BreakerPolicy) -> Snapshot:
        """The shared state; raises RedisError when Redis is down (no local substitute)."""
        return _snapshot(name, self._execute(self._command(name, _OP_SNAPSHOT, policy)))

    def reset(self, name: str, policy: BreakerPolicy) -> Transition:
        self._fallback.reset(name, policy)
        reply = _reply(name, self._execute(self._command(name, _OP_RESET, policy)))
        assert reply.transition is not None  # a reset always reports its transition
        return reply.transition

    async def aacquire(self, name: str, policy: BreakerPolicy) -> Reply:
        if self._down and time.monotonic() < self._retry_at:
            return self._local_acquire(name, policy)
        try:
            raw = await self._aexecute(self._command(name, _OP_ACQUIRE, policy))
        except RedisError as exc:
            self._went_down(exc)
            return self._local_acquire(name, policy)
        if self._down:
            self._came_back()
        return _reply(name, raw)

    async def arecord(
        self,
        name: str,
        policy: BreakerPolicy,
        gen: int,
        lease: str,
        outcome: Outcome,
        slow: bool,
    ) -> Reply:
        if self._down and time.monotonic() < self._retry_at:
            return self._local_record(name, policy, gen, lease, outcome, slow)
        command = self._command(name, _OP_RECORD, policy, gen, lease, outcome, slow)
        try:
            raw = await self._aexecute(command)
        except RedisError as exc:
            self._went_down(exc)
            return self._local_record(name, policy, gen, lease, outcome, slow)
        if self._down:
            self._came_back()
        return _reply(name, raw)

    async def aclose(self) -> None:
        """Close this event loop's connections (before the loop ends, e.g. in tests)."""
        client = self._aclients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    def delete_all(self) -> int:
        """Remove every key under this store's prefix (tests, or retiring a prefix)."""
        keys = list(self._client.scan_iter(match=f"{self.prefix}:*", count=500))
        return int(cast(int, self._client.delete(*keys))) if keys else 0

    # --- plumbing ---------------------------------------------------------------------------
    #
    # Commands are encoded here rather than by redis-py's generic packer: the part that does not
    # change between calls (script, keys, operation, policy) is encoded once per breaker and
    # policy, and sent on a pooled connection with send_packed_command. On the hot path that
    # removes most of the client-side cost of a round trip beyond a PING's.

    def _command(
        self,
        name: str,
        op: bytes,
        policy: BreakerPolicy,
        gen: int = 0,
        lease: str = "",
        outcome: int = 0,
        slow: bool = False,
        hold_ms: int = 0,
    ) -> bytes:
        key = (name, op, policy.wire)
        head = self._heads.get(key)
        if head is None:
            if len(self._heads) > 1000:
                self._heads.clear()  # policies changed many times: drop the stale heads
            base = f"{self.prefix}:{{{name}}}".encode()
            # The hash tag keeps a breaker's keys in one slot, as Redis Cluster requires.
            keys = (base + b":s", base + b":w", base + b":l")
            head_args = (b"EVALSHA", _SHA, b"3", *keys, op, policy.wire)
            head = self._heads[key] = _pack(head_args)
        now = b"" if self._clock is None else b"%d" % to_ms(self._clock())
        tail: tuple[bytes, ...]
        if op == _OP_RECORD:
            tail = (now, b"%d" % gen, lease.encode(), b"%d" % outcome, b"1" if slow else b"0")
        elif op == _OP_HOLD:
            tail = (now, b"%d" % hold_ms)
        else:
            tail = (now,)
        # The array header counts the 8 head arguments plus the tail.
        return b"*%d\r\n" % (_HEAD_ARGS + len(tail)) + head + _pack(tail)

    def _execute(self, command: bytes) -> Any:
        try:
            return self._send(command)
        except NoScriptError:
            # First use on this server, or after a restart / SCRIPT FLUSH.
            self._client.script_load(SCRIPT)
            return self._send(command)

    def _send(self, command: bytes) -> Any:
        pool = self._client.connection_pool
        connection = pool.get_connection()
        try:
            connection.send_packed_command([command])
            return connection.read_response()
        except (RedisConnectionError, RedisTimeoutError, OSError):
            connection.disconnect()  # the reply may still be on its way: never reuse it
            raise
        finally:
            pool.release(connection)

    async def _aexecute(self, command: bytes) -> Any:
        loop = asyncio.get_running_loop()
        client = self._aclients.get(loop)
        if client is None:
            client = redis.asyncio.Redis.from_url(
                self.url, retry=redis.asyncio.retry.Retry(NoBackoff(), 0), **self._timeouts
            )
            self._aclients[loop] = client
        try:
            return await self._asend(client, command)
        except NoScriptError:
            await client.script_load(SCRIPT)
            return await self._asend(client, command)

    async def _asend(self, client: redis.asyncio.Redis, command: bytes) -> Any:
        pool = client.connection_pool
        connection = await pool.get_connection()
        try:
            await connection.send_packed_command([command])
            return await connection.read_response()
        except (RedisConnectionError, RedisTimeoutError, OSError, asyncio.CancelledError):
            await connection.disconnect()
            raise
        finally:
            await pool.release(connection)

    def _local_acquire(self, name: str, policy: BreakerPolicy) -> Reply:
        self._fallback_calls.inc()
        return _as_local(self._fallback.acquire(name, policy))

    def _local_record(
        self, name: str, policy: BreakerPolicy, gen: int, lease: str, outcome: Outcome, slow: bool
    ) -> Reply:
        self._fallback_calls.inc()
        return _as_local(self._fallback.record(name, policy, gen, lease, outcome, slow))

    def _went_down(self, exc: RedisError) -> None:
        with self._down_lock:
            first = not self._down
            self._down = True
            self._retry_at = time.monotonic() + self._reconnect_interval
        if first:
            metrics.BREAKER_STORE_UNAVAILABLE.labels(store=self.label).inc()
            # A refused connection needs no traceback; anything else (a script error, OOM,
            # a read-only replica) does, to be diagnosed.
            logger.warning(
                "breaker store: Redis at %s unavailable (%s: %s); breakers use process-local "
                "state until it answers again",
                redacted(self.url),
                type(exc).__name__,
                exc,
                exc_info=not isinstance(exc, _QUIET_ERRORS),
            )

    def _came_back(self) -> None:
        with self._down_lock:
            if not self._down:
                return
            self._down = False
        self._fallback.forget()
        logger.warning(
            "breaker store: Redis at %s is back; shared state resumes", redacted(self.url)
        )


def _pack(args: Sequence[bytes]) -> bytes:
    """RESP bulk strings for `args` (the caller adds the array header)."""
    return b"".join(b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in args)


def _as_local(reply: Reply) -> Reply:
    if reply.transition is None:
        return reply
    return reply._replace(transition=replace(reply.transition, local=True))


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _reply(name: str, raw: int | list[Any]) -> Reply:
    if isinstance(raw, int):
        gen, state = divmod(raw, 4)
        return Reply(True, _STATES[state], gen, "", 0.0, None)
    admitted, state, gen, lease, retry = raw[:5]
    transition = None
    if len(raw) > 5:
        t_from, t_to, reason, n, nf, ns, cf, trips, open_ms = raw[5:]
        transition = Transition(
            name,
            _STATES[t_from],
            _STATES[t_to],
            Reason(reason),
            gen,
            n,
            nf,
            ns,
            cf,
            trips,
            open_ms / 1000,
        )
    lease_id = _text(lease) if lease else ""
    return Reply(admitted == 1, _STATES[state], gen, lease_id, retry / 1000, transition)


def _snapshot(name: str, raw: list[Any]) -> Snapshot:
    state, gen, n, nf, ns, cf, trips, retry, active, successes, opened_at, _now = raw
    return Snapshot(
        name=name,
        state=state_now(_STATES[state], retry / 1000),
        gen=gen,
        calls=n,
        failures=nf,
        slow=ns,
        consecutive_failures=cf,
        trips=trips,
        retry_after=retry / 1000,
        active_trials=active,
        trial_successes=successes,
        opened_at=ms_to_datetime(opened_at),
    )
