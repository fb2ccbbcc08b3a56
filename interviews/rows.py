"""Model instances to and from the rows of hand-written SQL, with the fields' own conversions.

The answer path runs the same few statements for every answer (lock and read the transcript's
end, or read the position; insert the turns; update the interview). Built through the ORM,
compiling those queries and building the instances was most of an answer's CPU
(docs/performance.md, "The turn path"): here the SQL is written once per model and field
list, and values go through exactly what the ORM would apply to them (`get_db_prep_save` on
the way in, the backend's and the field's converters on the way out), so a JSON, UUID or
datetime field reads and writes the same on PostgreSQL and on SQLite.

Model signals are not sent (as with `bulk_create` and `QuerySet.update`): nothing in the
project listens to these models' save signals.
"""

import functools
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]

# Per connection (a backend's converters are bound to its operations object), per model: each
# concrete field's column expression and converters, in the order from_db expects them.
Reader = list[tuple[Any, list[Converter]]]
_READERS: "weakref.WeakKeyDictionary[BaseDatabaseWrapper, dict[type[Model], Reader]]" = (
    weakref.WeakKeyDictionary()
)


def columns(model: type[Model], alias: str) -> str:
    """`alias."column", ...` for every concrete field of `model`, in from_row's order."""
    qn = default_connection.ops.quote_name
    return ", ".join(f"{alias}.{qn(f.column)}" for f in model._meta.concrete_fields)


def width(model: type[Model]) -> int:
    """How many columns `columns(model, ...)` selects."""
    return len(model._meta.concrete_fields)


def table(model: type[Model]) -> str:
    return default_connection.ops.quote_name(model._meta.db_table)


def _reader(model: type[Model], conn: BaseDatabaseWrapper) -> Reader:
    per_model = _READERS.setdefault(conn, {})
    if model not in per_model:
        readers = []
        for f in model._meta.concrete_fields:
            col = f.get_col(model._meta.db_table)
            readers.append((col, conn.ops.get_db_converters(col) + col.get_db_converters(conn)))
        per_model[model] = readers
    return per_model[model]


def from_row(model: type[M], values: Sequence[Any], conn: BaseDatabaseWrapper | None = None) -> M:
    """An instance of `model` from the values `columns(model, ...)` selected."""
    conn = conn or connections[DEFAULT_DB_ALIAS]  # the thread's own, not the proxy
    converted = []
    for value, (col, converters) in zip(values, _reader(model, conn), strict=True):
        for convert in converters:
            value = convert(value, col, conn)
        converted.append(value)
    names = [f.attname for f in model._meta.concrete_fields]
    return model.from_db(conn.alias, names, converted)


@functools.cache
def _get_sql(model: type[Model], vendor: str, unique: str, lock: bool) -> str:
    # `vendor` keys the cache, as in _insert_sql.
    (field,) = _concrete(model, (unique,))
    column = default_connection.ops.quote_name(field.column)
    # SQLite has no row locks: a write transaction is already the only one.
    locking = " FOR UPDATE" if lock and default_connection.features.has_select_for_update else ""
    return f"SELECT {columns(model, 't')} FROM {table(model)} t WHERE t.{column} = %s{locking}"  # noqa: S608 (names: the model's)


def find(model: type[M], unique: str, value: Any, *, lock: bool = False) -> M | None:
    """The row whose `unique` field (the primary key or a unique field) holds `value`, as
    `model.objects.filter(...).first()` would find it, in one SELECT without the ORM's
    per-call compilation; None when there is none. `lock`: SELECT ... FOR UPDATE, as
    select_for_update() (inside a transaction)."""
    (field,) = _concrete(model, (unique,))
    with default_connection.cursor() as cursor:
        sql = _get_sql(model, default_connection.vendor, unique, lock)
        cursor.execute(sql, [field.get_db_prep_value(value, default_connection)])
        row = cursor.fetchone()
    return from_row(model, row) if row is not None else None


def get(model: type[M], pk: Any, *, lock: bool = False) -> M:
    """`model.objects.get(pk=pk)` as one SELECT, without the ORM's per-call compilation;
    `lock` as in find."""
    found = find(model, model._meta.pk.name, pk, lock=lock)
    if found is None:
        raise model.DoesNotExist(f"{model.__name__} {pk} does not exist.")  # type: ignore[attr-defined]
    return found


@functools.cache
def _insert_sql(model: type[Model], rows: int, vendor: str, returning: bool) -> str:
    # `vendor` is not read: it is part of the cache key, so SQL quoted and shaped for one
    # backend is never served to a connection of another.
    meta = model._meta
    qn = default_connection.ops.quote_name
    fields = _insert_fields(model)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Every name comes from the model's metadata, every value is a parameter.
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)}"
    )
    return sql + f" RETURNING {qn(meta.pk.column)}" if returning else sql


@functools.cache
def _insert_fields(model: type[Model]) -> tuple[Field, ...]:
    # Every concrete field but a database-generated primary key.
    return tuple(f for f in model._meta.concrete_fields if not getattr(f, "db_returning", False))


def insert(objs: Sequence[Model]) -> None:
    """Save new instances of one model in one INSERT; their primary keys are set where the
    backend returns them (PostgreSQL, SQLite 3.35+), as bulk_create does."""
    if not objs:
        return
    model = type(objs[0])
    conn = default_connection
    returning = conn.features.can_return_rows_from_bulk_insert
    fields = _insert_fields(model)
    params = [f.get_db_prep_save(f.pre_save(obj, True), conn) for obj in objs for f in fields]
    with conn.cursor() as cursor:
        cursor.execute(_insert_sql(model, len(objs), conn.vendor, returning), params)
        ids = [row[0] for row in cursor.fetchall()] if returning else [None] * len(objs)
    for obj, pk in zip(objs, ids, strict=True):
        if pk is not None:
            obj.pk = pk
        obj._state.adding = False
        obj._state.db = conn.alias


@functools.cache
def _insert_absent_sql(model: type[Model], unique: str, vendor: str) -> str:
    # `vendor` keys the cache, as in _insert_sql.
    (field,) = _concrete(model, (unique,))
    column = default_connection.ops.quote_name(field.column)
    return _insert_sql(model, 1, vendor, False) + f" ON CONFLICT ({column}) DO NOTHING"


def insert_absent(obj: Model, unique: str) -> bool:
    """Save `obj` in one INSERT unless a row with the same `unique` field exists (its
    constraint decides, so two concurrent callers create one row); returns whether it was
    saved. For a row created once, where get_or_create's SELECT, savepoint and INSERT would
    be four round trips. The primary key is not read back."""
    conn = default_connection
    model = type(obj)
    fields = _insert_fields(model)
    params = [f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields]
    with conn.cursor() as cursor:
        cursor.execute(_insert_absent_sql(model, unique, conn.vendor), params)
        saved = cursor.rowcount == 1
    obj._state.adding = not saved
    obj._state.db = conn.alias
    return saved


@functools.cache
def _concrete(model: type[Model], names: tuple[str, ...]) -> tuple[Field, ...]:
    by_name = {f.name: f for f in model._meta.concrete_fields}
    return tuple(by_name[n] for n in names)


# PostgreSQL's `xmin`: the transaction that wrote a row's current version. Every UPDATE of
# the row, by anyone, gives it a new one (a lock alone does not), so "xmin is still what I
# read" is "nothing changed the row": a compare-and-set on one value, where comparing every
# column sends and compares them all (most of an answer's UPDATE, in psycopg's quoting).
VERSION = "_row_version"


def version_column(alias: str) -> str | None:
    """The SELECT expression of a row's version (read it into `VERSION` with version_set),
    or None where the backend has none (SQLite: a compare-and-set compares every column)."""
    return f"{alias}.xmin::text" if default_connection.vendor == "postgresql" else None


def version_set(obj: Model, version: str | None) -> None:
    setattr(obj, VERSION, version)


@functools.cache
def _update_sql(
    model: type[Model],
    names: tuple[str, ...],
    vendor: str,
    unchanged: tuple[str, ...] = (),
    by_version: bool = False,
) -> str:
    # `vendor` keys the cache, as in _insert_sql, and picks the NULL-safe equality.
    qn = default_connection.ops.quote_name
    sets = ", ".join(f"{qn(f.column)} = %s" for f in _concrete(model, names))
    pk = qn(model._meta.pk.column)
    same = "IS NOT DISTINCT FROM" if vendor == "postgresql" else "IS"
    guard = "".join(f" AND {qn(f.column)} {same} %s" for f in _concrete(model, unchanged))
    if by_version:
        guard += " AND xmin = %s::xid"
    returning = " RETURNING xmin::text" if vendor == "postgresql" else ""
    return f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {pk} = %s{guard}{returning}"  # noqa: S608 (names: the model's)


@functools.cache
def _guarded(model: type[Model], ignoring: tuple[str, ...]) -> tuple[str, ...]:
    """The fields a compare-and-set compares: every concrete one but the key and `ignoring`."""
    skip = {model._meta.pk.name, *ignoring}
    return tuple(f.name for f in model._meta.concrete_fields if f.name not in skip)


def update(
    obj: Model, names: Iterable[str], *, was: Model | None = None, ignoring: Iterable[str] = ()
) -> bool:
    """`obj.save(update_fields=names)` as one UPDATE, without the ORM's per-call compilation.

    `was`: the row as the caller last read it. The UPDATE then applies only if the row is
    still as `was` read it (a compare-and-set, which also locks the row until the transaction
    ends): its version, where `was` was read with one (version_column), else every column but
    the primary key and `ignoring`. Returns whether a row was updated; on PostgreSQL `obj`
    then holds the row's new version.
    """
    names = tuple(dict.fromkeys(names))  # in order, once each
    conn = default_connection
    fields = _concrete(type(obj), names)
    params = [f.get_db_prep_save(f.pre_save(obj, False), conn) for f in fields]
    params.append(obj.pk)
    version = getattr(was, VERSION, None) if was is not None else None
    unchanged: tuple[str, ...] = ()
    if was is not None and version is None:
        unchanged = _guarded(type(obj), tuple(ignoring))
    for f in _concrete(type(obj), unchanged):
        params.append(f.get_db_prep_value(getattr(was, f.attname), conn))
    if version is not None:
        params.append(version)
    sql = _update_sql(type(obj), names, conn.vendor, unchanged, version is not None)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        if conn.vendor != "postgresql":
            return cursor.rowcount == 1
        row = cursor.fetchone()
    version_set(obj, row[0] if row else None)
    return row is not None
