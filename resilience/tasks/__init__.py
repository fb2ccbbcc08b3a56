"""The resilience app's Celery tasks (Celery's autodiscovery imports this package)."""

from resilience.tasks import dead_letters, question_cache

__all__ = ["dead_letters", "question_cache"]
