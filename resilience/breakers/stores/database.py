"""Breaker state in the project's database: the embedded default (SQLite), or PostgreSQL.

Each operation is one short transaction on the breaker's row: lock it (SELECT ... FOR UPDATE;
SQLite serialises writers), apply the machine, write it back if it changed. Inside a caller's
transaction the operation must neither hold the row until the caller commits nor vanish on its
rollback, so on PostgreSQL it runs on its own connection in a helper thread; on SQLite, whose
one write lock the caller already holds, it joins the caller's transaction.
"""

import json
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction
from django.utils import timezone

from resilience.breakers.machine import Machine
from resilience.breakers.models import BreakerStoreRecord
from resilience.breakers.stores.base import BreakerStore, Clock, Operation, T, to_ms, wall_clock


class DatabaseStore(BreakerStore):
    label = "database"

    def __init__(self, *, clock: Clock = wall_clock) -> None:
        self._clock = clock

    def read(self, name: str) -> tuple[Machine, int]:
        rows = BreakerStoreRecord.objects.filter(name=name)
        data = rows.values_list("data", flat=True).first()
        return Machine.from_dict(data), to_ms(self._clock())

    def update(self, name: str, operation: Operation[T]) -> T:
        if connection.in_atomic_block and connection.vendor != "sqlite":
            # Rare (a guarded call inside a caller's transaction): a thread of its own, which
            # closes its connection when done rather than keep it idle.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="breaker-db") as pool:
                return pool.submit(self._apply_isolated, name, operation).result()
        return self._apply_here(name, operation)

    def _apply_isolated(self, name: str, operation: Operation[T]) -> T:
        try:
            return self._apply_here(name, operation)
        finally:
            connection.close()

    def _apply_here(self, name: str, operation: Operation[T]) -> T:
        # Plain SQL on one JSON column; only the table's quoted name enters the text.
        table = connection.ops.quote_name(BreakerStoreRecord._meta.db_table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        select = f"SELECT data FROM {table} WHERE name = %s{lock}"  # noqa: S608
        update = f"UPDATE {table} SET data = %s, updated_at = %s WHERE name = %s"  # noqa: S608
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(select, [name])
            row = cursor.fetchone()
            if row is None:  # two processes may create it at once; the loser's insert is a no-op
                new = [BreakerStoreRecord(name=name)]
                BreakerStoreRecord.objects.bulk_create(new, ignore_conflicts=True)
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
