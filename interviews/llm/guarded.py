"""A remote provider behind its circuit breaker and the retry helper, wrapped once.

A GuardedProvider has the offline interviewer's interface, so the failover chain asks every
provider the same way. Each attempt goes through the provider's breaker (`llm.<provider>`),
so one that opens mid-retry stops the rest; retries are for transient errors only, with
Retry-After honoured and jittered back-off (resilience.retry). A provider that says when to come
back (Retry-After on a 429 or 5xx, or Anthropic's 529 "overloaded") holds its breaker open that
long, so no caller in any process asks it sooner. Every attempt gets only what is left of the
deadline it is given as its HTTP timeout, and no back-off sleeps past it.

Whatever stops the provider from answering is raised as ProviderUnavailable (the breaker
already logged when it opened; a bug is logged with its traceback), and the chain moves on.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx
from django.conf import settings

from interviews.llm import metrics
from interviews.llm.base import (
    EvaluationResult,
    GeneratedQuestion,
    QuestionContext,
    Source,
)
from interviews.llm.budget import MIN_ATTEMPT_SECONDS, Deadline
from interviews.llm.errors import DeadlineExceeded, MalformedReply, ProviderUnavailable
from interviews.llm.providers.remote import RemoteInterviewer
from resilience.breakers import Breaker, BreakerOpen, get_breaker
from resilience.breakers.classify import is_failure_status
from resilience.retry import retry_after_of, retrying

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Failures that mean "this provider cannot answer now": logged briefly, then the next one.
EXPECTED_FAILURES = (DeadlineExceeded, MalformedReply, httpx.HTTPError)
OVERLOADED = 529  # Anthropic's "overloaded": a request to back off, with or without a Retry-After


class BreakerLookup(Protocol):
    def __call__(self, name: str) -> Breaker: ...


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int  # attempts per provider per step, the first one included
    base_delay: float  # first back-off, seconds; doubles per retry
    max_delay: float  # back-off cap, seconds

    @classmethod
    def from_settings(cls) -> "RetryPolicy":
        return cls(
            attempts=int(settings.MAX_RETRY_ATTEMPTS),
            base_delay=float(settings.RETRY_BASE_DELAY),
            max_delay=float(settings.RETRY_MAX_DELAY),
        )


def breaker_name(provider: str) -> str:
    return f"llm.{provider}"


class GuardedProvider:
    """An InterviewerProvider: `provider` asked through its breaker, with retries."""

    source: Source = "llm"

    def __init__(
        self,
        provider: RemoteInterviewer,
        *,
        retry: RetryPolicy,
        breakers: BreakerLookup = get_breaker,
    ) -> None:
        self.provider = provider
        self.name = provider.name
        self.retry = retry
        self._breakers = breakers

    def __repr__(self) -> str:
        return f"<GuardedProvider {self.provider!r}>"

    def breaker(self) -> Breaker:
        return self._breakers(breaker_name(self.name))

    def generate_question(
        self, ctx: QuestionContext, *, deadline: Deadline | None = None
    ) -> GeneratedQuestion:
        return self._call(lambda d: self.provider.generate_question(ctx, deadline=d), deadline)

    def follow_up(
        self,
        ctx: QuestionContext,
        question: GeneratedQuestion,
        answer: str,
        *,
        deadline: Deadline | None = None,
    ) -> str | None:
        return self._call(
            lambda d: self.provider.follow_up(ctx, question, answer, deadline=d), deadline
        )

    def generate_coding_question(
        self, ctx: QuestionContext, *, deadline: Deadline | None = None, **kwargs: Any
    ) -> GeneratedQuestion:
        return self._call(
            lambda d: self.provider.generate_coding_question(ctx, deadline=d, **kwargs), deadline
        )

    def evaluate(self, *, deadline: Deadline | None = None, **interview: Any) -> EvaluationResult:
        # What is scored is defined once, by InterviewerProvider.evaluate: passed on as given.
        return self._call(lambda d: self.provider.evaluate(**interview, deadline=d), deadline)

    def _call(self, call: Callable[[Deadline], T], deadline: Deadline | None) -> T:
        """The provider's answer within `deadline`, or ProviderUnavailable saying why not."""
        name = self.name
        deadline = deadline or Deadline.after(self.provider.timeout)
        breaker = self.breaker()
        attempts = 0

        def attempt() -> T:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                metrics.RETRIES.labels(provider=name).inc()
            if deadline.expired():
                metrics.CALLS.labels(provider=name, outcome="out_of_budget").inc()
                raise DeadlineExceeded(f"{name}: the step's deadline has passed")
            try:
                return breaker.call(call, deadline)
            except httpx.HTTPStatusError as exc:
                _hold_if_asked(breaker, exc)
                raise

        # No back-off may end too close to the deadline for another attempt to be worth it.
        retry = retrying(
            attempts=self.retry.attempts,
            base_delay=self.retry.base_delay,
            max_delay=self.retry.max_delay,
            deadline=deadline.remaining() - MIN_ATTEMPT_SECONDS,
        )
        try:
            return retry(attempt)
        except BreakerOpen as exc:
            # Expected and cheap while an outage lasts; the breaker logged when it opened.
            metrics.CALLS.labels(provider=name, outcome="rejected").inc()
            why = f"breaker open, retry in {exc.retry_after:.1f}s"
            logger.debug("%s skipped: %s", name, why)
            raise ProviderUnavailable(why, retry_after=exc.retry_after) from exc
        except EXPECTED_FAILURES as exc:
            why = f"{type(exc).__name__}: {exc}"
            logger.warning("%s could not answer: %s", name, why)
            raise ProviderUnavailable(why) from exc


def _hold_if_asked(breaker: Breaker, exc: httpx.HTTPStatusError) -> None:
    """Hold the provider's breaker open for as long as it asked to be left alone."""
    status = exc.response.status_code
    if not is_failure_status(status):
        return  # a client error's Retry-After says nothing about the provider's health
    wait = retry_after_of(exc)
    if wait is None and status == OVERLOADED:
        breaker.hold()  # no figure given: the breaker's own recovery timeout
    elif wait:
        breaker.hold(wait)
