"""`@protect("name", fallback=...)`: guard a sync or async function with a named breaker."""

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, cast

from resilience.breakers.breaker import Breaker
from resilience.breakers.classify import Classifier
from resilience.breakers.errors import BreakerOpen
from resilience.breakers.registry import get_breaker
from resilience.breakers.state import Outcome

P = ParamSpec("P")
R = TypeVar("R")
# fallback(exc, *args, **kwargs): called instead of raising when the breaker rejects the call or
# the call fails in a way that counts against the dependency; it may be async for async functions.
Fallback = Callable[..., Any]


def protect(
    name: str, *, fallback: Fallback | None = None, classifier: Classifier | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        # The breaker is looked up at the first call, not at import (settings may not be ready).
        def breaker_and_rules() -> tuple[Breaker, Classifier]:
            breaker = get_breaker(name)
            return breaker, classifier or breaker.classifier

        def wants_fallback(rules: Classifier, exc: BaseException) -> bool:
            if fallback is None:
                return False
            return isinstance(exc, BreakerOpen) or rules.exception(exc) == Outcome.FAILURE

        if inspect.iscoroutinefunction(fn):
            async_fn = cast(Callable[..., Awaitable[Any]], fn)

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                breaker, rules = breaker_and_rules()
                try:
                    return await breaker.acall_with(rules, async_fn, *args, **kwargs)
                except Exception as exc:
                    if not wants_fallback(rules, exc):
                        raise
                    assert fallback is not None
                    result = fallback(exc, *args, **kwargs)
                    return await result if inspect.isawaitable(result) else result

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            breaker, rules = breaker_and_rules()
            try:
                if classifier is None:
                    return breaker.call(fn, *args, **kwargs)
                return breaker.call_with(rules, fn, *args, **kwargs)
            except Exception as exc:
                if not wants_fallback(rules, exc):
                    raise
                assert fallback is not None
                return cast(R, fallback(exc, *args, **kwargs))

        return wrapper

    return decorate
