"""Question cache reads: the statistics the admin panel shows."""

from dataclasses import dataclass

from django.utils import timezone

from resilience.question_cache import counters
from resilience.question_cache.backends import get_backend
from resilience.question_cache.keys import Difficulty
from resilience.question_cache.services import question_cache_offers_drain


@dataclass(frozen=True)
class QuestionCacheStats:
    total_keys: int
    total_questions: int
    expired: int  # waiting for the purge task; never served
    by_difficulty: dict[str, int]  # easy, medium, hard order; only those with questions
    by_language: dict[str, int]  # alphabetical
    hits: int | None  # None: the shared counters cannot be read right now
    misses: int | None

    @property
    def lookups(self) -> int | None:
        if self.hits is None or self.misses is None:
            return None
        return self.hits + self.misses

    @property
    def hit_rate(self) -> float | None:
        """Hits per lookup, 0..1; None before the first lookup or when unreadable."""
        lookups = self.lookups
        return None if not lookups else (self.hits or 0) / lookups


def question_cache_stats() -> QuestionCacheStats:
    """Contents from the backend (raises if it cannot be read), traffic from the counters.

    Questions this process offered a moment ago are stored first, so they are counted."""
    question_cache_offers_drain()
    contents = get_backend().stats(now=timezone.now())
    hits, misses = counters.counter_values()
    return QuestionCacheStats(
        total_keys=contents.total_keys,
        total_questions=contents.total_questions,
        expired=contents.expired,
        by_difficulty={
            d: contents.by_difficulty[d] for d in Difficulty.values if d in contents.by_difficulty
        },
        by_language=dict(sorted(contents.by_language.items())),
        hits=hits,
        misses=misses,
    )
