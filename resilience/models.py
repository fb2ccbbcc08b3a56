"""The resilience app's models, defined in each subsystem's package; Django finds them here."""

from resilience.alerts.models import AlertThrottle
from resilience.breakers.models import (
    BreakerConfig,
    BreakerEvent,
    BreakerEventKind,
    BreakerState,
    BreakerStateChoice,
    BreakerStoreRecord,
)
from resilience.dlq.models import DeadLetter
from resilience.question_cache.models import CachedQuestion

__all__ = [
    "AlertThrottle",
    "BreakerConfig",
    "BreakerEvent",
    "BreakerEventKind",
    "BreakerState",
    "BreakerStateChoice",
    "BreakerStoreRecord",
    "CachedQuestion",
    "DeadLetter",
]
