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
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.db import DatabaseError

from resilience.breakers.config import BreakerPolicy, InvalidPolicy, policy_from_mapping

if TYPE_CHECKING:
    from resilience.models import BreakerConfig

logger = logging.getLogger(__name__)

TTL = 1.0  # seconds; see the module docstring


def settings_defaults(name: str) -> dict[str, Any]:
    """Initial values for a new breaker: BREAKER_DEFAULTS, then BREAKERS[name] (both optional)."""
    defaults: Mapping[str, Any] = getattr(settings, "BREAKER_DEFAULTS", {}) or {}
    per_name: Mapping[str, Mapping[str, Any]] = getattr(settings, "BREAKERS", {}) or {}
    return {**defaults, **per_name.get(name, {})}


def default_policy(name: str) -> BreakerPolicy:
    """The policy a new breaker starts with; falls back to built-in defaults if settings are bad."""
    try:
        return policy_from_mapping(name, settings_defaults(name)).validate()
    except (InvalidPolicy, TypeError):
        # The system check reports this at start-up; keep the breaker working meanwhile.
        logger.exception("circuit breaker %s: invalid defaults in settings; using built-ins", name)
        return BreakerPolicy(name=name)


class PolicySlot:
    """One breaker's policy, and until when (the source's clock) it may be used unchecked.

    Breakers hold their slot and read it on every call: two attribute loads, no call. Sources
    update slots in place on reload and expire them when told to.
    """

    __slots__ = ("policy", "valid_until")

    def __init__(self, policy: BreakerPolicy, valid_until: float) -> None:
        self.policy = policy
        self.valid_until = valid_until


class PolicySource(Protocol):
    def get(self, name: str) -> BreakerPolicy:
        """The current policy; may read the database."""

    def slot(self, name: str) -> PolicySlot:
        """The cell the source keeps `name`'s policy in, updated in place."""


class StaticPolicies:
    """Fixed policies (tests, benchmarks, scripts without a database).

    `set` takes effect at once.
    """

    def __init__(self, *policies: BreakerPolicy) -> None:
        self._slots = {p.name: PolicySlot(p, math.inf) for p in policies}

    def set(self, policy: BreakerPolicy) -> None:
        self.slot(policy.name).policy = policy

    def slot(self, name: str) -> PolicySlot:
        slot = self._slots.get(name)
        if slot is None:
            slot = self._slots.setdefault(name, PolicySlot(BreakerPolicy(name=name), math.inf))
        return slot

    def get(self, name: str) -> BreakerPolicy:
        return self.slot(name).policy


class DatabasePolicies:
    def __init__(self, *, ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._slots: dict[str, PolicySlot] = {}
        self._reloading = threading.Lock()
        self._failing = False

    def slot(self, name: str) -> PolicySlot:
        slot = self._slots.get(name)
        if slot is None:
            # Expired from the start: the first get() loads it.
            slot = self._slots.setdefault(name, PolicySlot(default_policy(name), 0.0))
        return slot

    def get(self, name: str) -> BreakerPolicy:
        slot = self.slot(name)
        if self._clock() >= slot.valid_until:
            self.reload()
        return slot.policy

    def expire(self) -> None:
        """Reload on next use (after a change made in this process)."""
        for slot in list(self._slots.values()):
            slot.valid_until = 0.0

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
            self._extend(self._slots.values())
            if not self._failing:
                self._failing = True
                logger.exception("circuit breakers: cannot read BreakerConfig; keeping policies")
            return
        if self._failing:
            self._failing = False
            logger.warning("circuit breakers: BreakerConfig readable again")
        for name, slot in list(self._slots.items()):
            row = rows.get(name)
            try:
                if row is None:
                    row = self._first_use(name)
                if row is not None:
                    slot.policy = row.to_policy().validate()
            except InvalidPolicy:
                # Constraints and clean() keep rows valid; a raw SQL edit might not.
                logger.exception("circuit breaker %s: invalid row ignored", name)
        self._extend(self._slots.values())

    def _extend(self, slots: Iterable[PolicySlot]) -> None:
        valid_until = self._clock() + self._ttl
        for slot in slots:
            slot.valid_until = valid_until

    def _first_use(self, name: str) -> "BreakerConfig | None":
        from resilience.services.breakers import breaker_config_ensure

        try:
            return breaker_config_ensure(name=name)
        except DatabaseError:
            logger.exception("circuit breaker %s: cannot create its config; using defaults", name)
            return None
