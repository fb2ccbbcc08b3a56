"""The default backend: one table, shared by every process, listed in the admin.

A lookup is one indexed query for at most QUESTION_CACHE_MAX_PER_KEY rows; the random choice
among them happens in Python, which is cheaper than ORDER BY random() and keeps the query plan
the same for every key. That query is written in SQL: building it with the ORM cost about as
much CPU as running it, on the path a candidate waits on during an outage.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils.dateparse import parse_datetime

from resilience.question_cache.backends.base import BackendStats, CacheEntry, QuestionCacheBackend
from resilience.question_cache.models import CachedQuestion

FIELDS = (
    "key",
    "difficulty",
    "language",
    "topic",
    "text",
    "fingerprint",
    "created_at",
    "expires_at",
    "metadata",
)


def _row_entry(row: Sequence[Any]) -> CacheEntry:
    values = dict(zip(FIELDS, row, strict=True))
    values["created_at"] = _datetime(values["created_at"])
    values["expires_at"] = _datetime(values["expires_at"])
    metadata = values["metadata"]
    # Text on SQLite and with Django's psycopg loaders; decoded already by other drivers.
    values["metadata"] = json.loads(metadata) if isinstance(metadata, str | bytes) else metadata
    return CacheEntry(**values)


def _variants_sql() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in FIELDS)
    # Only constant, quoted identifiers are interpolated; the values travel as parameters.
    return (
        f"SELECT {columns} FROM {quote(CachedQuestion._meta.db_table)}"  # noqa: S608
        f" WHERE {quote('key')} = %s AND {quote('expires_at')} > %s"
        f" ORDER BY {quote('created_at')} DESC, {quote('id')} DESC"
    )


def _datetime(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    # SQLite hands back text: naive UTC, as Django wrote it.
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _lock_key(key: str) -> None:
    """Serialise writers of one key until the transaction ends, so two processes storing at
    once cannot both see room for one more variant and leave the key over its limit.
    SQLite needs nothing: its writers are serialised already."""
    if connection.vendor == "postgresql":
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


class DatabaseBackend(QuestionCacheBackend):
    def variants(self, *, key: str, now: datetime) -> list[CacheEntry]:
        with connection.cursor() as cursor:
            cursor.execute(_variants_sql(), [key, connection.ops.adapt_datetimefield_value(now)])
            return [_row_entry(row) for row in cursor.fetchall()]

    def store(self, *, entry: CacheEntry, max_per_key: int) -> bool:
        # Most offers repeat a question the key already has: find out without a write
        # transaction (checked again under the lock, since another process may be storing).
        live = self.variants(key=entry.key, now=entry.created_at)
        if any(variant.fingerprint == entry.fingerprint for variant in live):
            return False
        rows = CachedQuestion.objects.filter(key=entry.key)
        with transaction.atomic():
            _lock_key(entry.key)
            # An expired duplicate must not block its own fresh copy (the purge may be late).
            rows.filter(expires_at__lte=entry.created_at).delete()
            if rows.filter(fingerprint=entry.fingerprint).exists():
                return False
            CachedQuestion.objects.create(**{name: getattr(entry, name) for name in FIELDS})
            surplus = list(
                rows.order_by("-created_at", "-id").values_list("id", flat=True)[max_per_key:]
            )
            if surplus:
                CachedQuestion.objects.filter(id__in=surplus).delete()
        return True

    def purge_expired(self, *, now: datetime) -> int:
        deleted, _ = CachedQuestion.objects.filter(expires_at__lte=now).delete()
        return deleted

    def clear(self, *, difficulty: str | None, language: str | None) -> int:
        rows = CachedQuestion.objects.all()
        if difficulty is not None:
            rows = rows.filter(difficulty=difficulty)
        if language is not None:
            rows = rows.filter(language=language)
        deleted, _ = rows.delete()
        return deleted

    def stats(self, *, now: datetime) -> BackendStats:
        live = CachedQuestion.objects.filter(expires_at__gt=now)
        by_difficulty = dict(live.values_list("difficulty").annotate(n=Count("id")).order_by())
        by_language = dict(live.values_list("language").annotate(n=Count("id")).order_by())
        return BackendStats(
            total_keys=live.values("key").distinct().count(),
            total_questions=sum(by_difficulty.values()),
            expired=CachedQuestion.objects.filter(expires_at__lte=now).count(),
            by_difficulty=by_difficulty,
            by_language=by_language,
        )
