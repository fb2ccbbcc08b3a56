"""Retries for calls to flaky dependencies, built on tenacity.

    result = retrying()(client.post, url, json=body)             # sync
    for attempt in retrying(): with attempt: ...                  # tenacity's block form

* Exponential backoff with full jitter: before retry n, a random wait in
  [0, min(RETRY_MAX_DELAY, RETRY_BASE_DELAY * 2**(n-1))] (tenacity's wait_random_exponential).
* `Retry-After` is honoured: seconds or an HTTP date, from the response of an httpx error or an
  exception's `retry_after` attribute. A server asking for more than RETRY_MAX_DELAY gets no
  retry: waiting less would ignore it, waiting more would stall the caller.
* At most MAX_RETRY_ATTEMPTS attempts in all, and never a wait that would end after `deadline`
  seconds from the first attempt.
* Only transient errors are retried (is_retryable): timeouts, connection errors, HTTP 408, 425,
  429 and 5xx. An open breaker (BreakerOpen) is not: the breaker said the dependency is down, and
  retrying into it would only add latency. Guard each attempt with the breaker, so a breaker
  that opens during the retries stops them:  retrying()(breaker.call, fn, *args).
"""

import email.utils
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import tenacity
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from resilience import metrics
from resilience.breakers.classify import is_failure_status, status_of
from resilience.breakers.state import BreakerOpen
from resilience.conf import resilience_settings

logger = logging.getLogger(__name__)

RetryPredicate = Callable[[BaseException], bool]


def is_retryable(exc: BaseException) -> bool:
    """True for errors worth another attempt (see the module docstring)."""
    if isinstance(exc, BreakerOpen):
        return False
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return False  # our request is malformed: it will fail the same way again
    if isinstance(exc, httpx.TimeoutException | httpx.TransportError):
        return True
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    status = status_of(exc)
    return status is not None and is_failure_status(status)


def parse_retry_after(value: object, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (seconds, an HTTP date, a datetime)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return max(float(value), 0.0)
    if isinstance(value, timedelta):
        return max(value.total_seconds(), 0.0)
    when: datetime | None = value if isinstance(value, datetime) else None
    if when is None:
        text = str(value).strip()
        try:
            return max(float(text), 0.0)
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP dates are GMT
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def retry_after_of(exc: BaseException, *, now: datetime | None = None) -> float | None:
    """The wait an error asks for: its `retry_after`, or its response's Retry-After header."""
    hinted = parse_retry_after(getattr(exc, "retry_after", None), now=now)
    if hinted is not None:
        return hinted
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    return parse_retry_after(headers.get("Retry-After"), now=now)


class wait_retry_after_or(wait_base):
    """Wait what the error's Retry-After asks for, else what `fallback` says."""

    def __init__(self, fallback: wait_base) -> None:
        self.fallback = fallback

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        if outcome is not None and outcome.failed:
            exc = outcome.exception()
            hinted = retry_after_of(exc) if exc is not None else None
            if hinted is not None:
                return hinted
        return float(self.fallback(retry_state))


class stop_if_wait_exceeds(stop_base):
    """Stop rather than wait longer than `limit` seconds (a long Retry-After)."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return retry_state.upcoming_sleep > self.limit


def _options(
    attempts: int | None,
    base_delay: float | None,
    max_delay: float | None,
    deadline: float | None,
    retry_if: RetryPredicate,
) -> dict[str, Any]:
    conf = resilience_settings()
    attempts = attempts if attempts is not None else conf.max_retry_attempts
    base = base_delay if base_delay is not None else conf.retry_base_delay
    cap = max_delay if max_delay is not None else conf.retry_max_delay
    stop: stop_base = tenacity.stop_after_attempt(attempts) | stop_if_wait_exceeds(cap)
    if deadline is not None:
        stop = stop | tenacity.stop_before_delay(deadline)
    return {
        "stop": stop,
        "wait": wait_retry_after_or(tenacity.wait_random_exponential(multiplier=base, max=cap)),
        "retry": tenacity.retry_if_exception(retry_if),
        "before_sleep": _before_sleep,
        "reraise": True,  # callers see the last real error, not tenacity's RetryError
    }


def retrying(
    *,
    attempts: int | None = None,
    base_delay: float | None = None,
    max_delay: float | None = None,
    deadline: float | None = None,
    retry_if: RetryPredicate = is_retryable,
    sleep: Callable[[float], None] | None = None,
) -> tenacity.Retrying:
    """A tenacity.Retrying with this project's policy; defaults come from settings.

    `sleep` replaces time.sleep (tests).
    """
    options = _options(attempts, base_delay, max_delay, deadline, retry_if)
    if sleep is not None:
        options["sleep"] = sleep
    return tenacity.Retrying(**options)


def _before_sleep(retry_state: tenacity.RetryCallState) -> None:
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    error = type(exc).__name__ if exc is not None else "unknown"
    metrics.RETRY_ATTEMPTS.labels(error=error).inc()
    logger.warning(
        "retrying %s in %.2fs after attempt %d failed: %s: %s",
        getattr(retry_state.fn, "__qualname__", "call"),
        retry_state.upcoming_sleep,
        retry_state.attempt_number,
        error,
        exc,
    )
