"""Which outcomes of a guarded call count against the dependency.

A breaker must open when the dependency is unhealthy, not when the caller sent a bad request:
HTTP 400/401/403/404/422 mean the service answered, so they count as successes; timeouts,
connection errors, 408/425/429 and 5xx count as failures. Cancellation of the caller says
nothing about the dependency and is ignored (a half-open trial's slot is handed back).
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from resilience.breakers.errors import BreakerOpen
from resilience.breakers.state import Outcome

# Status codes that say "the server is unwell or overloaded", not "your request is wrong".
FAILURE_STATUSES = frozenset({408, 425, 429})

# Never a verdict on the dependency: the caller gave up, the process is stopping, or another
# breaker further down rejected the call before it reached anything.
_IGNORED: tuple[type[BaseException], ...] = (
    asyncio.CancelledError,
    KeyboardInterrupt,
    SystemExit,
    GeneratorExit,
    BreakerOpen,
)


def is_failure_status(status: int) -> bool:
    return status >= 500 or status in FAILURE_STATUSES


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an exception carries: httpx's response, or a `status_code` attribute."""
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool):
        return status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def classify_exception(exc: BaseException) -> Outcome:
    """The default rules (see the module docstring); unknown exceptions are failures."""
    if isinstance(exc, _IGNORED):
        return Outcome.IGNORED
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        # Our own malformed request, not the dependency's health.
        return Outcome.SUCCESS
    if isinstance(exc, httpx.TimeoutException | httpx.TransportError | TimeoutError | OSError):
        return Outcome.FAILURE
    status = status_of(exc)
    if status is not None:
        return Outcome.FAILURE if is_failure_status(status) else Outcome.SUCCESS
    return Outcome.FAILURE


@dataclass(frozen=True, slots=True)
class Classifier:
    """Per call site overrides of the default rules; the first matching rule wins."""

    failure_exceptions: tuple[type[BaseException], ...] = ()  # always count as failures
    success_exceptions: tuple[type[BaseException], ...] = ()  # raised, but the dependency is fine
    ignored_exceptions: tuple[type[BaseException], ...] = ()  # neither (slot handed back)
    failure_result: Callable[[Any], bool] | None = None  # True: a returned value is a failure

    def exception(self, exc: BaseException) -> Outcome:
        if self.ignored_exceptions and isinstance(exc, self.ignored_exceptions):
            return Outcome.IGNORED
        if self.failure_exceptions and isinstance(exc, self.failure_exceptions):
            return Outcome.FAILURE
        if self.success_exceptions and isinstance(exc, self.success_exceptions):
            return Outcome.SUCCESS
        return classify_exception(exc)

    def result(self, value: object) -> Outcome:
        if self.failure_result is not None and self.failure_result(value):
            return Outcome.FAILURE
        return Outcome.SUCCESS


DEFAULT_CLASSIFIER = Classifier()


class Guard:
    """Yielded by `guard()`: lets the body classify a result that did not raise."""

    __slots__ = ("_classifier", "outcome")

    def __init__(self, classifier: Classifier) -> None:
        self._classifier = classifier
        self.outcome = Outcome.SUCCESS

    def result(self, value: object) -> None:
        self.outcome = self._classifier.result(value)

    def failure(self) -> None:
        self.outcome = Outcome.FAILURE

    def ignore(self) -> None:
        self.outcome = Outcome.IGNORED
