"""Django's PostgreSQL backend, with psycopg's pool checking a connection before lending it
at most once per DB_POOL_CHECK_SECONDS instead of on every checkout.

With CONN_HEALTH_CHECKS, Django gives the pool `ConnectionPool.check_connection`, which costs
a round trip on every checkout, and a socket borrows a connection for every call: a third of
an answer's round trips were checks. A connection used within the last few seconds is very
likely still alive; one that died while idle longer than that (a restarted PostgreSQL) is
still found and replaced before anyone uses it. One that dies within the interval fails its
next query, which the caller sees as a retryable error (the socket's `service_unavailable`),
and the pool drops it when it comes back broken.

Everything else is Django's backend: `vendor` is still "postgresql".
"""

import threading
import time
import weakref
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool

_last_checked: "weakref.WeakKeyDictionary[Any, float]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def check_connection_throttled(conn: Any) -> None:
    """The pool's `check`: ConnectionPool.check_connection, unless this connection passed a
    check or was lent within DB_POOL_CHECK_SECONDS."""
    now = time.monotonic()
    with _lock:
        last = _last_checked.get(conn)
        _last_checked[conn] = now
    if last is not None and now - last < settings.DB_POOL_CHECK_SECONDS:
        return
    try:
        ConnectionPool.check_connection(conn)
    except BaseException:
        with _lock:
            _last_checked.pop(conn, None)
        raise


def _fresh(conn: Any) -> None:
    """A connection just opened is alive: its first checkout needs no check."""
    with _lock:
        _last_checked[conn] = time.monotonic()


class DatabaseWrapper(base.DatabaseWrapper):
    def _configure_new(self, conn: Any) -> None:
        self._configure_connection(conn)  # type: ignore[attr-defined]
        _fresh(conn)

    @property
    def pool(self) -> ConnectionPool | None:
        # Django's property (5.2), with the check above instead of check_connection.
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == NO_DB_ALIAS or not pool_options:
            return None
        pools: dict[str, ConnectionPool] = self._connection_pools  # type: ignore[attr-defined]
        if self.alias not in pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # Django sets the real mode later
            checks = self.settings_dict["CONN_HEALTH_CHECKS"]
            pool = ConnectionPool(
                kwargs=connect_kwargs,
                open=False,
                configure=self._configure_new,
                check=check_connection_throttled if checks else None,
                **({} if pool_options is True else pool_options),
            )
            pools.setdefault(self.alias, pool)
        return pools[self.alias]
