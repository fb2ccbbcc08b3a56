"""Breaker state in the project's database: the embedded default (SQLite), or PostgreSQL.

Each operation is one short transaction on the breaker's BreakerStoreRecord row: lock it
(SELECT ... FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE, which the settings configure,
serialises writers), apply machine.Machine, write it back if it changed, commit. The protected
call never runs inside that transaction. Times are this machine's wall clock, which all the
processes of an embedded deployment share.

Called inside a caller's transaction, the operation must neither keep the row locked until the
caller commits nor vanish if the caller rolls back, so on PostgreSQL it runs on its own
connection in a helper thread. SQLite has a single database-wide write lock, which the caller's
transaction already holds: there the operation joins the caller's transaction (a savepoint),
since waiting for another connection would deadlock.
"""

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self

from django.db import connections, transaction
from django.utils import timezone

from resilience.breakers.machine import Machine
from resilience.breakers.stores.base import BreakerStore, Clock, Operation, T, to_ms, wall_clock

_executor: ThreadPoolExecutor | None = None
_executor_pid = 0
_executor_lock = threading.Lock()


def _isolated() -> ThreadPoolExecutor:
    global _executor, _executor_pid
    with _executor_lock:
        if _executor is None or _executor_pid != os.getpid():  # threads do not survive a fork
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="breaker-db")
            _executor_pid = os.getpid()
        return _executor


class DatabaseStore(BreakerStore):
    label = "database"

    def __init__(self, *, clock: Clock = wall_clock, using: str = "default") -> None:
        self._clock = clock
        self._using = using

    @classmethod
    def from_settings(cls) -> Self:
        return cls()

    def read(self, name: str) -> tuple[Machine, int]:
        from resilience.models import BreakerStoreRecord

        records = BreakerStoreRecord.objects.using(self._using)
        data = records.filter(name=name).values_list("data", flat=True).first()
        return Machine.from_dict(data), to_ms(self._clock())

    def update(self, name: str, operation: Operation[T]) -> T:
        connection = connections[self._using]
        if connection.in_atomic_block and connection.vendor != "sqlite":
            return _isolated().submit(self._apply_isolated, name, operation).result()
        return self._apply_here(name, operation)

    def _apply_isolated(self, name: str, operation: Operation[T]) -> T:
        try:
            return self._apply_here(name, operation)
        finally:
            # Rare (calls inside a caller's transaction): hold no idle connection meanwhile.
            connections[self._using].close()

    def _apply_here(self, name: str, operation: Operation[T]) -> T:
        # Plain SQL: SELECT ... FOR UPDATE of one JSON column, which the ORM would wrap in a
        # model instance only to write it back.
        connection = connections[self._using]
        select, update = _statements(connection)
        with transaction.atomic(using=self._using), connection.cursor() as cursor:
            cursor.execute(select, [name])
            row = cursor.fetchone()
            if row is None:
                self._create(name)
                cursor.execute(select, [name])
                row = cursor.fetchone()
            # SQLite returns the JSON text; psycopg decodes jsonb itself.
            stored = json.loads(row[0]) if isinstance(row[0], str | bytes) else row[0]
            machine = Machine.from_dict(stored)
            result = operation(machine, to_ms(self._clock()))
            data = machine.to_dict()
            if data != stored:
                now = connection.ops.adapt_datetimefield_value(timezone.now())
                cursor.execute(update, [json.dumps(data), now, name])
        return result

    def _create(self, name: str) -> None:
        from resilience.models import BreakerStoreRecord

        # Two processes may create it at once; the loser's insert is a no-op.
        records = BreakerStoreRecord.objects.using(self._using)
        records.bulk_create([BreakerStoreRecord(name=name)], ignore_conflicts=True)


def _statements(connection: Any) -> tuple[str, str]:
    """Lock-and-read, and write, of one breaker's row. Only the model's table name, quoted, is
    put into the SQL text; every value is a parameter."""
    from resilience.models import BreakerStoreRecord

    table = connection.ops.quote_name(BreakerStoreRecord._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = f"SELECT data FROM {table} WHERE name = %s{lock}"  # noqa: S608
    update = f"UPDATE {table} SET data = %s, updated_at = %s WHERE name = %s"  # noqa: S608
    return select, update
