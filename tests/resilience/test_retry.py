"""Retries: full-jitter backoff, Retry-After, deadline, and no retrying into an open breaker."""

import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import tenacity
from django.test import override_settings

from resilience.breakers import Breaker, BreakerOpen, BreakerPolicy
from resilience.breakers.policies import StaticPolicies
from resilience.breakers.stores.memory import MemoryStore
from resilience.retry import parse_retry_after, retry_after_of, retrying
from resilience.retry.checks import check_retry_settings


def http_error(code: int, retry_after: str | None = None) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "https://llm.example/v1/chat")
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    response = httpx.Response(code, request=request, headers=headers)
    return httpx.HTTPStatusError(f"HTTP {code}", request=request, response=response)


def failing(*errors: BaseException) -> tuple[Callable[[], str], list[int]]:
    """A function raising `errors` in turn, then succeeding; and the list of its attempts."""
    attempts: list[int] = []

    def fn() -> str:
        attempts.append(len(attempts) + 1)
        if len(attempts) <= len(errors):
            raise errors[len(attempts) - 1]
        return "ok"

    return fn, attempts


def test_backoff__every_wait_stays_within_its_full_jitter_window() -> None:
    random.seed(7)
    for _ in range(50):
        sleeps: list[float] = []
        fn, attempts = failing(*(TimeoutError() for _ in range(5)))
        retry = retrying(attempts=6, base_delay=1.0, max_delay=10.0, sleep=sleeps.append)
        assert retry(fn) == "ok"
        assert len(attempts) == 6
        windows = [1.0, 2.0, 4.0, 8.0, 10.0]  # base * 2**(n-1), capped at max_delay
        assert all(0.0 <= wait <= window for wait, window in zip(sleeps, windows, strict=True))


def test_jitter__spreads_waits_over_the_whole_window() -> None:
    random.seed(11)
    retry = retrying(attempts=3, base_delay=1.0, max_delay=10.0)
    state = tenacity.RetryCallState(retry, fn=None, args=(), kwargs={})
    state.attempt_number = 2  # the wait before the third attempt: uniform over [0, 2]
    failed: tenacity.Future = tenacity.Future(2)
    failed.set_exception(TimeoutError())
    state.outcome = failed
    waits = [retry.wait(state) for _ in range(5000)]
    assert min(waits) < 0.01
    assert max(waits) > 1.99
    # A uniform [0, 2] has a standard deviation of 2 / sqrt(12) = 0.577.
    assert 0.55 < statistics.stdev(waits) < 0.6


def test_retry_after__seconds_in_the_header_are_honoured() -> None:
    sleeps: list[float] = []
    fn, attempts = failing(http_error(429, "3"), http_error(503, "1.5"))
    assert retrying(attempts=3, max_delay=10.0, sleep=sleeps.append)(fn) == "ok"
    assert sleeps == [3.0, 1.5]
    assert attempts == [1, 2, 3]


def test_retry_after__an_http_date_is_honoured() -> None:
    now = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert parse_retry_after(header, now=now) == 7.0
    assert retry_after_of(http_error(503, header), now=now) == 7.0
    assert (
        parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0
    )


def test_retry_after__an_exception_attribute_is_honoured() -> None:
    class RateLimited(Exception):
        status_code = 429
        retry_after = 2

    sleeps: list[float] = []
    fn, _ = failing(RateLimited())
    assert retrying(sleep=sleeps.append)(fn) == "ok"
    assert sleeps == [2.0]


def test_retry_after__longer_than_the_cap_is_not_retried_early() -> None:
    sleeps: list[float] = []
    fn, attempts = failing(http_error(429, "60"))
    with pytest.raises(httpx.HTTPStatusError):
        retrying(attempts=5, max_delay=10.0, sleep=sleeps.append)(fn)
    assert attempts == [1]
    assert sleeps == []


@pytest.mark.parametrize("error", [http_error(400), http_error(404), ValueError("bad input")])
def test_non_retryable_errors__are_raised_after_one_attempt(error: Exception) -> None:
    sleeps: list[float] = []
    fn, attempts = failing(error)
    with pytest.raises(type(error)):
        retrying(attempts=5, sleep=sleeps.append)(fn)
    assert attempts == [1]


def test_open_breaker__is_not_retried_into() -> None:
    policy = BreakerPolicy(name="retry.dep", failure_threshold=1)
    breaker = Breaker("retry.dep", store=MemoryStore(), policies=StaticPolicies(policy))
    sleeps: list[float] = []
    fn, attempts = failing(*(TimeoutError() for _ in range(5)))
    with pytest.raises(BreakerOpen):
        retrying(attempts=5, sleep=sleeps.append)(breaker.call, fn)
    assert attempts == [1]  # the failure opened the breaker; the retry was rejected, not retried
    assert len(sleeps) == 1


@override_settings(MAX_RETRY_ATTEMPTS=4, RETRY_BASE_DELAY=0.5, RETRY_MAX_DELAY=1.0)
def test_defaults__come_from_settings() -> None:
    random.seed(3)
    sleeps: list[float] = []
    fn, attempts = failing(*(ConnectionError() for _ in range(10)))
    with pytest.raises(ConnectionError):
        retrying(sleep=sleeps.append)(fn)
    assert attempts == [1, 2, 3, 4]
    assert all(0 <= wait <= limit for wait, limit in zip(sleeps, [0.5, 1.0, 1.0], strict=True))


def test_deadline__no_wait_is_started_that_would_end_after_it() -> None:
    deadline = 1.0
    started = time.monotonic()
    overruns: list[float] = []

    def sleep(seconds: float) -> None:
        overruns.append(time.monotonic() - started + seconds - deadline)
        time.sleep(seconds)

    fn, _ = failing(*(http_error(503, "0.3") for _ in range(50)))
    with pytest.raises(httpx.HTTPStatusError):
        retrying(attempts=50, deadline=deadline, sleep=sleep)(fn)
    assert 1 <= len(overruns) < 49
    # Tenacity measures the elapsed time a moment before this sleep function does.
    assert max(overruns) < 0.05


def test_block_form__works_with_tenacity_attempts() -> None:
    sleeps: list[float] = []
    fn, attempts = failing(TimeoutError())
    for attempt in retrying(sleep=sleeps.append):
        with attempt:
            result = fn()
    assert result == "ok"
    assert isinstance(attempt, tenacity.AttemptManager)
    assert attempts == [1, 2]


@override_settings(RETRY_BASE_DELAY=5.0, RETRY_MAX_DELAY=1.0)
def test_system_check__reports_retry_cap_below_base_delay() -> None:
    assert [e.id for e in check_retry_settings()] == ["resilience.E009"]
