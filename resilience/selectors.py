"""Breaker reads for the admin and health checks."""

import logging

from django.db import DatabaseError
from redis.exceptions import RedisError

from resilience.breakers.registry import get_breaker
from resilience.breakers.state import Snapshot
from resilience.models import BreakerConfig

logger = logging.getLogger(__name__)


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
