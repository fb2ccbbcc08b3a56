"""Which outcomes of a guarded call count against the dependency (docs/architecture.md,
"States"); an ignored one hands a half-open trial's slot back."""

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
    """The HTTP status an exception carries: a `status_code`, or its response's (httpx)."""
    response = getattr(exc, "response", None)
    for status in (getattr(exc, "status_code", None), getattr(response, "status_code", None)):
        if isinstance(status, int) and not isinstance(status, bool):
            return status
    return None


def classify_exception(exc: BaseException) -> Outcome:
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
