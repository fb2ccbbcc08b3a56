"""A process-local backend: tests, benchmarks, and a single-process setup that wants no table.

Not shared between processes and gone on restart; the admin does not list it (its stats panel
does show it). Same contract as the database backend (tests/resilience/test_question_cache.py
runs against both).
"""

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from resilience.question_cache.backends.base import BackendStats, CacheEntry, QuestionCacheBackend


class MemoryBackend(QuestionCacheBackend):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, list[CacheEntry]] = {}  # newest first

    def variants(self, *, key: str, now: datetime) -> list[CacheEntry]:
        with self._lock:
            return [e for e in self._keys.get(key, ()) if e.expires_at > now]

    def store(self, *, entry: CacheEntry, max_per_key: int) -> bool:
        with self._lock:
            live = [e for e in self._keys.get(entry.key, ()) if e.expires_at > entry.created_at]
            if any(e.fingerprint == entry.fingerprint for e in live):
                return False
            self._keys[entry.key] = [entry, *live][:max_per_key]
            return True

    def purge_expired(self, *, now: datetime) -> int:
        with self._lock:
            return self._remove(lambda e: e.expires_at <= now)

    def clear(self, *, difficulty: str | None, language: str | None) -> int:
        with self._lock:
            return self._remove(
                lambda e: (
                    (difficulty is None or e.difficulty == difficulty)
                    and (language is None or e.language == language)
                )
            )

    def stats(self, *, now: datetime) -> BackendStats:
        with self._lock:
            entries = [e for variants in self._keys.values() for e in variants]
        live = [e for e in entries if e.expires_at > now]
        return BackendStats(
            total_keys=len({e.key for e in live}),
            total_questions=len(live),
            expired=len(entries) - len(live),
            by_difficulty=dict(Counter(e.difficulty for e in live)),
            by_language=dict(Counter(e.language for e in live)),
        )

    def _remove(self, doomed: Callable[[CacheEntry], bool]) -> int:
        removed = 0
        for key, variants in list(self._keys.items()):
            kept = [e for e in variants if not doomed(e)]
            removed += len(variants) - len(kept)
            if kept:
                self._keys[key] = kept
            else:
                del self._keys[key]
        return removed
