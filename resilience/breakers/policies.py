"""Where breakers read their configuration: the BreakerConfig rows, cached per process.

An edit (admin, ORM or raw SQL) is in force everywhere within 2 s without a query per call:
each process reloads all rows with one small query at most once per TTL, the editing process at
once (`expire()` on commit). While the database cannot be read the last good policies stay:
configuration trouble must never become an outage of guarded calls.
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from django.db import DatabaseError

from resilience.breakers.config import BreakerPolicy, InvalidPolicy, policy_from_mapping
from resilience.conf import resilience_settings

if TYPE_CHECKING:
    from resilience.models import BreakerConfig

logger = logging.getLogger(__name__)

TTL = 1.0  # seconds


def default_policy(name: str) -> BreakerPolicy:
    """A new breaker's policy: BREAKER_DEFAULTS, then BREAKERS[name] (both optional), or the
    built-in defaults if those are bad."""
    conf = resilience_settings()
    defaults: Mapping[str, Any] = conf.breaker_defaults or {}
    per_name: Mapping[str, Mapping[str, Any]] = conf.breakers or {}
    try:
        return policy_from_mapping(name, {**defaults, **per_name.get(name, {})}).validate()
    except (InvalidPolicy, TypeError):
        # The system check reports this at start-up; keep the breaker working meanwhile.
        logger.exception("circuit breaker %s: invalid defaults in settings; using built-ins", name)
        return BreakerPolicy(name=name)


class PolicySource(Protocol):
    def get(self, name: str) -> BreakerPolicy: ...


class StaticPolicies:
    """Fixed policies (tests, benchmarks, scripts without a database); `set` applies at once."""

    def __init__(self, *policies: BreakerPolicy) -> None:
        self._policies = {p.name: p for p in policies}

    def set(self, policy: BreakerPolicy) -> None:
        self._policies[policy.name] = policy

    def get(self, name: str) -> BreakerPolicy:
        return self._policies.setdefault(name, BreakerPolicy(name=name))


class DatabasePolicies:
    def __init__(
        self,
        *,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
        ensure: "Callable[[str], BreakerConfig] | None" = None,
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
        from resilience.models import BreakerConfig

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
