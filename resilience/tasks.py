"""The resilience app's Celery tasks, defined in each subsystem's package (Celery's
autodiscovery imports this module)."""

from resilience.dlq import tasks as dead_letters
from resilience.question_cache import tasks as question_cache

__all__ = ["dead_letters", "question_cache"]
