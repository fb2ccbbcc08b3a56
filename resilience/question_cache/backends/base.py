"""The storage contract every question cache backend implements.

A backend stores variants and answers questions about them; it knows nothing of statistics
counters, metrics or settings (the services pass TTL and limits in), so one contract test can
run against every backend. Backends may raise on infrastructure failures: the services turn
any failure into a miss.
"""

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self


@dataclass(frozen=True)
class CacheEntry:
    key: str
    difficulty: str
    language: str
    topic: str  # normalised
    text: str
    fingerprint: str
    created_at: datetime
    expires_at: datetime
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BackendStats:
    total_keys: int  # keys with at least one unexpired variant
    total_questions: int  # unexpired variants
    expired: int  # expired variants the purge task has not removed yet
    by_difficulty: dict[str, int]  # unexpired variants per difficulty
    by_language: dict[str, int]  # unexpired variants per language


class QuestionCacheBackend(ABC):
    @classmethod
    def from_settings(cls) -> Self:
        return cls()

    @abstractmethod
    def variants(self, *, key: str, now: datetime) -> list[CacheEntry]:
        """The unexpired variants of `key`, newest first."""

    @abstractmethod
    def store(self, *, entry: CacheEntry, max_per_key: int) -> bool:
        """Keep `entry` unless an unexpired variant has its fingerprint; evict the oldest
        variants past `max_per_key`. True when it was stored."""

    @abstractmethod
    def purge_expired(self, *, now: datetime) -> int:
        """Delete every variant expired at `now`; how many went."""

    @abstractmethod
    def clear(self, *, difficulty: str | None, language: str | None) -> int:
        """Delete every variant matching the filters (None: any); how many went."""

    @abstractmethod
    def stats(self, *, now: datetime) -> BackendStats: ...

    def lookup(self, *, key: str, exclude: Collection[str], now: datetime) -> list[CacheEntry]:
        """The unexpired variants of `key` whose fingerprint is not in `exclude`."""
        return [e for e in self.variants(key=key, now=now) if e.fingerprint not in exclude]
