"""Where breakers read their configuration: a PolicySource. The product's is the database one
(resilience/breakers/selectors.py), handed to the registry by ResilienceConfig.ready; fixed
policies serve tests and benchmarks. A new breaker starts from the settings' defaults.
"""

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from resilience.breakers.config import BreakerPolicy, InvalidPolicy, policy_from_mapping
from resilience.conf import resilience_settings

logger = logging.getLogger(__name__)


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

    def expire(self) -> None:
        """Drop what is cached: a change made in this process applies at the next call."""


class StaticPolicies:
    """Fixed policies (tests, benchmarks, scripts without a database); `set` applies at once."""

    def __init__(self, *policies: BreakerPolicy) -> None:
        self._policies = {p.name: p for p in policies}

    def set(self, policy: BreakerPolicy) -> None:
        self._policies[policy.name] = policy

    def get(self, name: str) -> BreakerPolicy:
        return self._policies.setdefault(name, BreakerPolicy(name=name))

    def expire(self) -> None:
        pass  # nothing cached
