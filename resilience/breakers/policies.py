"""Where breakers read their configuration: the BreakerConfig rows, cached per process.

An admin edit (or any ORM or SQL change) must be in force in every process within 2 s, without
a restart, while the hot path stays free of queries. Each process therefore keeps every policy
for at most TTL = 1 s: the first call after that reloads all rows with one small query (a few
rows per deployment) and compares nothing, so even a raw SQL UPDATE is seen. A change is thus
in force at most 1 s plus one query after it commits; the process that made it through a
service sees it at once (`expire()` on commit). The source and its breakers must share a clock
(the registry uses time.monotonic for both).

If the database cannot be read, the last good policies (or the settings defaults for a breaker
never seen) stay in force and a reload is tried again a TTL later: configuration trouble must
never become an outage of the guarded calls.
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

TTL = 1.0  # seconds; see the module docstring


def settings_defaults(name: str) -> dict[str, Any]:
    """Initial values for a new breaker: BREAKER_DEFAULTS, then BREAKERS[name] (both optional)."""
    conf = resilience_settings()
    defaults: Mapping[str, Any] = conf.breaker_defaults or {}
    per_name: Mapping[str, Mapping[str, Any]] = conf.breakers or {}
    return {**defaults, **per_name.get(name, {})}


def default_policy(name: str) -> BreakerPolicy:
    """The policy a new breaker starts with; falls back to built-in defaults if settings are bad."""
    try:
        return policy_from_mapping(name, settings_defaults(name)).validate()
    except (InvalidPolicy, TypeError):
        # The system check reports this at start-up; keep the breaker working meanwhile.
        logger.exception("circuit breaker %s: invalid defaults in settings; using built-ins", name)
        return BreakerPolicy(name=name)


class PolicySource(Protocol):
    def get(self, name: str) -> BreakerPolicy:
        """The current policy; may read the database."""


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
        # Creates a breaker's row on first use (the breaker services, wired in by
        # ResilienceConfig.ready); without it a breaker with no row runs on its defaults.
        self._ensure = ensure
        self._policies: dict[str, BreakerPolicy] = {}
        self._valid_until = 0.0  # every policy is reloaded together, at most once per TTL
        self._reloading = threading.Lock()
        self._failing = False

    def get(self, name: str) -> BreakerPolicy:
        if name not in self._policies:
            self._policies.setdefault(name, default_policy(name))
            self._valid_until = 0.0  # a breaker seen for the first time: load its row now
        if self._clock() >= self._valid_until:
            self.reload()
        return self._policies[name]

    def expire(self) -> None:
        """Reload on next use (after a change made in this process)."""
        self._valid_until = 0.0

    def reload(self) -> None:
        # One thread reloads; the others keep using the current policies meanwhile.
        if not self._reloading.acquire(blocking=False):
            return
        try:
            self._reload()
        finally:
            self._reloading.release()

    def _reload(self) -> None:
        from resilience.models import BreakerConfig

        try:
            rows = {row.name: row for row in BreakerConfig.objects.all()}
        except DatabaseError:
            self._valid_until = self._clock() + self._ttl
            if not self._failing:
                self._failing = True
                logger.exception("circuit breakers: cannot read BreakerConfig; keeping policies")
            return
        if self._failing:
            self._failing = False
            logger.warning("circuit breakers: BreakerConfig readable again")
        for name in list(self._policies):
            row = rows.get(name)
            try:
                if row is None:
                    row = self._first_use(name)
                if row is not None:
                    self._policies[name] = row.to_policy().validate()
            except InvalidPolicy:
                # Constraints and clean() keep rows valid; a raw SQL edit might not.
                logger.exception("circuit breaker %s: invalid row ignored", name)
        self._valid_until = self._clock() + self._ttl

    def _first_use(self, name: str) -> "BreakerConfig | None":
        if self._ensure is None:
            return None
        try:
            return self._ensure(name)
        except DatabaseError:
            logger.exception("circuit breaker %s: cannot create its config; using defaults", name)
            return None
