"""The resilience app's admin, one module per subdomain (imported here so Django registers it)."""

from resilience.admin import breakers, dead_letters, question_cache

__all__ = ["breakers", "dead_letters", "question_cache"]
