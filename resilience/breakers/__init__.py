"""Circuit breakers shared by every process (docs/operations.md, "Circuit breakers"):
`get_breaker("llm.openai").call(fn, *args)` raises BreakerOpen (with `retry_after` seconds)
without running `fn` while the breaker is open; `.hold(30)` obeys a Retry-After: 30.
"""

from resilience.breakers.breaker import Breaker
from resilience.breakers.classify import classify_exception
from resilience.breakers.config import BreakerPolicy, Mode, WindowType
from resilience.breakers.registry import get_breaker
from resilience.breakers.state import BreakerOpen, Outcome, Snapshot, State, Transition

__all__ = [
    "Breaker",
    "BreakerOpen",
    "BreakerPolicy",
    "Mode",
    "Outcome",
    "Snapshot",
    "State",
    "Transition",
    "WindowType",
    "classify_exception",
    "get_breaker",
]
