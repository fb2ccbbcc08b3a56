"""What an evaluation does after a failed run: wait for a breaker, retry, or give up.

The Celery task is a thin shell around `evaluation_run`; this module holds the rule it follows,
so the rule can be read and tested without Celery.

* Every failure is worth a retry: provider errors, open breakers and timeouts pass, and a
  malformed reply may be fine next time. Attempts are EVALUATION_MAX_ATTEMPTS in all; the
  delays grow exponentially with full jitter (so a provider outage does not send every queued
  evaluation back at the same moment), capped at EVALUATION_RETRY_MAX_SECONDS.
* When every provider was skipped because its breaker is open, nothing was tried: the
  evaluation waits for the first breaker's next trial without spending an attempt, up to
  EVALUATION_BREAKER_WAITS times, so an interview finished during an outage is scored after it
  instead of giving up within minutes.
"""

import math
from dataclasses import dataclass
from enum import Enum

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from interviews.llm.errors import ProvidersUnavailable


class RetryKind(Enum):
    WAIT_FOR_BREAKER = "wait_for_breaker"  # no attempt spent
    RETRY = "retry"
    GIVE_UP = "give_up"


@dataclass(frozen=True)
class RetryStep:
    kind: RetryKind
    attempt: int  # the attempt that just failed, 1-based, breaker waits not counted
    delay: int = 0  # seconds before the next run
    breaker_waits: int = 0  # breaker waits spent, this one included

    def describe(self, interview_id: int, exc: BaseException) -> str:
        limit = settings.EVALUATION_MAX_ATTEMPTS
        if self.kind is RetryKind.WAIT_FOR_BREAKER:
            return (
                f"evaluation of interview {interview_id}: every provider's breaker is open; "
                f"waiting {self.delay}s (wait {self.breaker_waits} of "
                f"{settings.EVALUATION_BREAKER_WAITS}, no attempt spent)"
            )
        if self.kind is RetryKind.RETRY:
            return (
                f"evaluation of interview {interview_id} failed (attempt {self.attempt} of "
                f"{limit}), retrying in {self.delay}s: {exc}"
            )
        return f"Failed after {self.attempt} attempts: {type(exc).__name__}: {exc}"


def evaluation_retry_delay(retries: int) -> int:
    """Seconds before retry number `retries + 1`: exponential, capped, full jitter."""
    return int(
        get_exponential_backoff_interval(
            factor=settings.EVALUATION_RETRY_BASE_SECONDS,
            retries=retries,
            maximum=settings.EVALUATION_RETRY_MAX_SECONDS,
            full_jitter=True,
        )
    )


def evaluation_retry_step(exc: BaseException, *, retries: int, breaker_waits: int) -> RetryStep:
    """The next step after run number `retries + 1` failed with `exc`; `breaker_waits` of
    those runs were waits for an open breaker rather than attempts."""
    attempt = retries - breaker_waits + 1
    retry_after = exc.retry_after if isinstance(exc, ProvidersUnavailable) else None
    if retry_after is not None and breaker_waits < settings.EVALUATION_BREAKER_WAITS:
        delay = min(
            max(evaluation_retry_delay(retries), math.ceil(retry_after)),
            settings.EVALUATION_RETRY_MAX_SECONDS,
        )
        return RetryStep(RetryKind.WAIT_FOR_BREAKER, attempt - 1, delay, breaker_waits + 1)
    if attempt >= settings.EVALUATION_MAX_ATTEMPTS:
        return RetryStep(RetryKind.GIVE_UP, attempt, 0, breaker_waits)
    return RetryStep(RetryKind.RETRY, attempt, evaluation_retry_delay(retries), breaker_waits)
