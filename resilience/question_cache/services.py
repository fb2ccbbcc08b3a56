"""Question cache writes and lookups: what the product calls, what the tasks and admin call.

A lookup or a store that fails (database down, a backend bug) is logged and counted, and the
caller gets a miss: the cache exists for outages and must never become one.

A question written for a candidate is offered with `question_cache_offer`, which stores it on
a background thread: the candidate is waiting for that question and must not also wait for the
cache's read-and-insert.
"""

import atexit
import logging
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from resilience.background import BackgroundWorker, Batch
from resilience.breakers import State, get_breaker
from resilience.question_cache import counters, metrics
from resilience.question_cache.backends import CacheEntry, get_backend
from resilience.question_cache.keys import (
    TOPIC_DISPLAY_CHARS,
    cache_key,
    check_difficulty,
    check_language,
    check_text,
    check_topic,
    fingerprint,
)
from resilience.question_cache.prewarm import PrewarmItem, QuestionSource

logger = logging.getLogger(__name__)

# Bounds one pre-warm run's provider spend and duration; the next run carries on.
PREWARM_MAX_CALLS_PER_RUN = 100
OFFER_DELAY_SECONDS = 0.1  # offers gathered before one background store
OFFER_WAIT_SECONDS = 5.0  # how long a reader (stats, process exit) waits for pending offers

# Which variant a candidate sees needs no cryptographic randomness, and the system source
# costs a system call per pick.
_random = random.Random()


def _ttl() -> timedelta:
    return timedelta(days=int(settings.QUESTION_CACHE_TTL_DAYS))


def _max_per_key() -> int:
    return int(settings.QUESTION_CACHE_MAX_PER_KEY)


def question_cache_get(
    *,
    difficulty: str,
    language: str,
    topic: str,
    exclude: Collection[str] = (),
) -> CacheEntry | None:
    """A random unexpired variant for the key whose text is not in `exclude`, or None.
    Bad input raises InvalidCacheInput."""
    key = cache_key(difficulty=difficulty, language=language, topic=topic)
    excluded = {fingerprint(text) for text in exclude}
    try:
        candidates = get_backend().lookup(key=key, exclude=excluded, now=timezone.now())
    except Exception:
        logger.exception("question cache lookup failed for %s; serving a miss", key)
        metrics.LOOKUPS.labels(result="error").inc()
        candidates = []
    else:
        metrics.LOOKUPS.labels(result="hit" if candidates else "miss").inc()
    counters.counter_increment(counters.HITS if candidates else counters.MISSES)
    return _random.choice(candidates) if candidates else None


def question_cache_put(
    *,
    difficulty: str,
    language: str,
    topic: str,
    text: str,
    metadata: Mapping[str, Any] | None = None,
) -> bool:
    """Offer a freshly written question; True when it was stored.

    Not stored: a question identical to an unexpired variant of the key. Storing
    one more than QUESTION_CACHE_MAX_PER_KEY evicts the oldest. Bad input raises
    InvalidCacheInput; a failing backend is logged and reported as not stored.
    """
    key = cache_key(difficulty=difficulty, language=language, topic=topic)
    text = check_text(text)
    now = timezone.now()
    entry = CacheEntry(
        key=key,
        difficulty=difficulty,
        language=check_language(language),
        topic=check_topic(topic)[:TOPIC_DISPLAY_CHARS],
        text=text,
        fingerprint=fingerprint(text),
        created_at=now,
        expires_at=now + _ttl(),
        metadata=dict(metadata or {}),
    )
    try:
        stored = get_backend().store(entry=entry, max_per_key=_max_per_key())
    except Exception:
        logger.exception("question cache store failed for %s; the question was not kept", key)
        metrics.STORES.labels(result="error").inc()
        return False
    metrics.STORES.labels(result="stored" if stored else "duplicate").inc()
    return stored


def question_cache_offer(
    *,
    difficulty: str,
    language: str,
    topic: str,
    text: str,
    metadata: Mapping[str, Any] | None = None,
) -> bool:
    """question_cache_put, off the caller's path: the input is checked now (bad input raises
    InvalidCacheInput), the store happens on this process's background thread within about
    OFFER_DELAY_SECONDS. False when the offer was dropped (too many pending); a failed store is
    logged there, like any store. The same question offered twice before the store keeps one."""
    key = cache_key(difficulty=difficulty, language=language, topic=topic)
    check_text(text)
    offer = {
        "difficulty": difficulty,
        "language": language,
        "topic": topic,
        "text": text,
        "metadata": dict(metadata or {}),
    }
    return _offers.add((key, fingerprint(text)), offer)


def question_cache_offers_drain(timeout: float = OFFER_WAIT_SECONDS) -> bool:
    """Wait until this process's pending offers are stored; False if `timeout` passed first."""
    return _offers.drain(timeout)


def _store_offers(offers: dict[tuple[str, str], dict[str, Any]]) -> None:
    for offer in offers.values():
        question_cache_put(**offer)


_offers: Batch[tuple[str, str], dict[str, Any]] = Batch(
    BackgroundWorker("question-cache-offers"), _store_offers, delay=OFFER_DELAY_SECONDS
)
# A clean shutdown (deploy, scale-in) keeps the questions it was about to store.
atexit.register(question_cache_offers_drain)


def question_cache_clear(*, difficulty: str | None = None, language: str | None = None) -> int:
    """Delete every variant matching the filters (none: everything); how many went.

    An unknown difficulty or a malformed language raises InvalidCacheInput rather than
    silently matching nothing.
    """
    difficulty = None if difficulty is None else check_difficulty(difficulty)
    language = None if language is None else check_language(language)
    deleted = get_backend().clear(difficulty=difficulty, language=language)
    logger.info(
        "question cache cleared (difficulty=%s, language=%s): %s questions",
        difficulty or "any",
        language or "any",
        deleted,
    )
    return deleted


def question_cache_purge_expired() -> int:
    """Delete every expired variant (the beat task); how many went."""
    return get_backend().purge_expired(now=timezone.now())


def question_cache_counters_reset() -> bool:
    """Start the hit and miss counts again; False when the counters could not be reached."""
    return counters.counters_reset()


@dataclass
class PrewarmReport:
    stored: int = 0  # new variants kept
    duplicates: int = 0  # questions the source wrote that the key already had
    full: int = 0  # items that already had QUESTION_CACHE_MAX_PER_KEY variants
    stopped: str = ""  # why the run ended early: "breaker_open:<name>", "source_failed", ...
    per_item: dict[str, int] = field(default_factory=dict)  # item -> variants stored


def question_cache_prewarm(
    *,
    items: Sequence[PrewarmItem],
    source: QuestionSource,
    max_calls: int = PREWARM_MAX_CALLS_PER_RUN,
) -> PrewarmReport:
    """Fill every item's key up to QUESTION_CACHE_MAX_PER_KEY variants written by `source`,
    only while every breaker the source names is closed."""
    report = PrewarmReport()
    calls = 0
    limit = _max_per_key()
    backend = get_backend()
    for item in items:
        key = cache_key(difficulty=item.difficulty, language=item.language, topic=item.topic)
        report.per_item[str(item)] = 0
        while True:
            existing = backend.variants(key=key, now=timezone.now())
            if len(existing) >= limit:
                report.full += report.per_item[str(item)] == 0
                break
            if calls >= max_calls:
                report.stopped = "call_limit"
                return report
            not_closed = _first_breaker_not_closed(source.breaker_names())
            if not_closed:
                report.stopped = f"breaker_not_closed:{not_closed}"
                return report
            calls += 1
            try:
                question = source.generate(
                    topic=item.topic,
                    difficulty=item.difficulty,
                    language=item.language,
                    avoid=[entry.text for entry in existing],
                )
            except Exception:
                logger.exception("question cache pre-warm: the source failed on %s", item)
                report.stopped = "source_failed"
                return report
            if question is None:
                report.stopped = "source_unavailable"
                return report
            if question_cache_put(
                difficulty=item.difficulty,
                language=item.language,
                topic=item.topic,
                text=question.text,
                metadata=question.metadata,
            ):
                report.stored += 1
                report.per_item[str(item)] += 1
            else:
                # The source repeats itself for this key: more calls would be money for nothing.
                report.duplicates += 1
                break
    return report


def _first_breaker_not_closed(names: Sequence[str]) -> str:
    """The first of `names` whose breaker is not closed (or cannot be read), else ""."""
    for name in names:
        try:
            state = get_breaker(name).snapshot().state
        except Exception:
            logger.warning("question cache pre-warm: cannot read breaker %s", name, exc_info=True)
            return name
        if state != State.CLOSED:
            return name
    return ""
