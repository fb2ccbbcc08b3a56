"""The resilience app's admin, defined in each subsystem's package (imported here so Django
registers it)."""

from resilience.breakers import admin as breakers
from resilience.dlq import admin as dead_letters
from resilience.question_cache import admin as question_cache

__all__ = ["breakers", "dead_letters", "question_cache"]
