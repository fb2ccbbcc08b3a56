"""Which outcomes of a guarded call count against the dependency: timeouts, connection errors,
408/425/429 and 5xx do; other HTTP errors mean the service answered (a success); the caller's
cancellation says nothing and is ignored (a half-open trial's slot is handed back).
"""

import asyncio

import httpx

from resilience.breakers.state import BreakerOpen, Outcome

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
