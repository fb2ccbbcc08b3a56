"""The resilience app's models, one module per subdomain; Django finds them through here."""

from resilience.models import dead_letters, question_cache
from resilience.models.alerts import AlertThrottle
from resilience.models.breakers import (
    BreakerConfig,
    BreakerEvent,
    BreakerEventKind,
    BreakerState,
    BreakerStateChoice,
    BreakerStoreRecord,
)

__all__ = [
    "AlertThrottle",
    "BreakerConfig",
    "BreakerEvent",
    "BreakerEventKind",
    "BreakerState",
    "BreakerStateChoice",
    "BreakerStoreRecord",
    "dead_letters",
    "question_cache",
]
