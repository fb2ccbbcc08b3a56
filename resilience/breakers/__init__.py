"""Circuit breakers shared by every process: `get_breaker("llm.openai").call(fn, *args)`
(docs/architecture.md, "Circuit breakers")."""

from resilience.breakers.breaker import Breaker
from resilience.breakers.classify import classify_exception
from resilience.breakers.config import BreakerPolicy
from resilience.breakers.registry import get_breaker
from resilience.breakers.state import BreakerOpen, Outcome, State, Transition

__all__ = [
    "Breaker",
    "BreakerOpen",
    "BreakerPolicy",
    "Outcome",
    "State",
    "Transition",
    "classify_exception",
    "get_breaker",
]
