"""Breaker reads: the policies in the database (the breakers' PolicySource), and the live
state for the admin and health checks."""

import logging
import threading
import time
from collections.abc import Callable

from django.db import DatabaseError
from redis.exceptions import RedisError

from resilience.breakers.config import BreakerPolicy, InvalidPolicy
from resilience.breakers.models import BreakerConfig
from resilience.breakers.policies import default_policy
from resilience.breakers.registry import get_breaker
from resilience.breakers.state import Snapshot

logger = logging.getLogger(__name__)

TTL = 1.0  # seconds a process keeps the policies before reading the rows again


def breaker_live_snapshot(*, config: BreakerConfig) -> Snapshot | None:
    """The breaker's state as its store sees it now; None when the store cannot be read."""
    breaker = get_breaker(config.name)
    try:
        return breaker.store.snapshot(config.name, config.to_policy())
    except (RedisError, DatabaseError):
        logger.exception("circuit breaker %s: cannot read its live state", config.name)
        return None


def breaker_snapshots() -> list[tuple[BreakerConfig, Snapshot | None]]:
    """Every configured breaker with its live state (None where the store cannot be read)."""
    return [
        (config, breaker_live_snapshot(config=config))
        for config in BreakerConfig.objects.select_related("state").order_by("name")
    ]


class DatabasePolicies:
    """The policies in the BreakerConfig rows, cached per process.

    An edit (admin, ORM or raw SQL) is in force everywhere within 2 s without a query per call:
    each process reloads all rows with one small query at most once per TTL, the editing process
    at once (`expire()` on commit). While the database cannot be read the last good policies
    stay: configuration trouble must never become an outage of guarded calls.
    """

    def __init__(
        self,
        *,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
        ensure: Callable[[str], BreakerConfig] | None = None,
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._ensure = ensure  # creates a missing row; without it the defaults apply
        self._policies: dict[str, BreakerPolicy] = {}
        self._valid_until = 0.0  # every policy is reloaded together, at most once per TTL
        self._reloading = threading.Lock()
        self._failing = False

    def get(self, name: str) -> BreakerPolicy:
        if name not in self._policies:
            self._policies.setdefault(name, default_policy(name))
            self._valid_until = 0.0  # a breaker seen for the first time: load its row now
        if self._clock() >= self._valid_until and self._reloading.acquire(blocking=False):
            try:  # one thread reloads; the others keep the current policies meanwhile
                self._reload()
            finally:
                self._reloading.release()
        return self._policies[name]

    def expire(self) -> None:
        """Reload on next use (after a change made in this process)."""
        self._valid_until = 0.0

    def _reload(self) -> None:
        self._valid_until = self._clock() + self._ttl
        try:
            rows = {row.name: row for row in BreakerConfig.objects.all()}
        except DatabaseError:
            if not self._failing:  # once per outage, not once a second
                logger.exception("circuit breakers: cannot read BreakerConfig; keeping policies")
            self._failing = True
            return
        if self._failing:
            self._failing = False
            logger.warning("circuit breakers: BreakerConfig readable again")
        for name in list(self._policies):
            try:
                row = rows.get(name) or (self._ensure(name) if self._ensure else None)
                if row is not None:
                    self._policies[name] = row.to_policy().validate()
            except (DatabaseError, InvalidPolicy):
                # Constraints and clean() keep rows valid; a raw SQL edit might not.
                logger.exception("circuit breaker %s: row unusable; policy kept", name)
