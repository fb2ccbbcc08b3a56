"""Circuit breakers shared by every process (see docs: operations, "Circuit breakers").

    from resilience.breakers import get_breaker, BreakerOpen

    breaker = get_breaker("llm.openai")
    result = breaker.call(client.post, url, json=body)
    breaker.hold(30)  # the dependency answered 429 with Retry-After: 30

An open breaker raises BreakerOpen (with `retry_after` seconds) without running the call.
Importing this package does not need Django's app registry.
"""

from resilience.breakers.breaker import Breaker
from resilience.breakers.classify import classify_exception
from resilience.breakers.config import BreakerPolicy, Mode, WindowType
from resilience.breakers.errors import BreakerOpen
from resilience.breakers.registry import get_breaker
from resilience.breakers.state import Outcome, Snapshot, State, Transition

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
