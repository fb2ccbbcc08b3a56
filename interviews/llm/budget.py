"""Deadlines: one time budget per interview step, shared by every provider, attempt and retry.

A candidate waits for the next question while the chain works, so the whole chain (providers,
retries, back-off sleeps) has to fit in one LLM_TIMEOUT_SECONDS. Each HTTP attempt is given
only what is left as its timeout, and no retry sleeps past the deadline.
"""

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

# Below this an HTTP round trip cannot succeed anyway; starting one only delays the fallback.
MIN_ATTEMPT_SECONDS = 0.05
# Share of a candidate-facing step kept back from the HTTP attempts (at most RESERVE_MAX_SECONDS)
# for what runs after the last one times out: recording the failure with the breaker, the
# offline interviewer or the question bank, the fallback, and persisting the turn.
RESERVE_SHARE = 0.1
RESERVE_MAX_SECONDS = 0.25


def reserve_for(timeout: float) -> float:
    return min(RESERVE_MAX_SECONDS, RESERVE_SHARE * timeout)


@dataclass(frozen=True, slots=True)
class Deadline:
    at: float  # time.monotonic() value

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return self.remaining() < MIN_ATTEMPT_SECONDS

    def capped(self, seconds: float) -> "Deadline":
        """This deadline or `seconds` from now, whichever comes first."""
        return Deadline(min(self.at, time.monotonic() + seconds))

    def minus(self, seconds: float) -> "Deadline":
        """A deadline `seconds` earlier: keeps time back for the work that follows."""
        return Deadline(self.at - seconds)


_step: ContextVar[Deadline | None] = ContextVar("llm_step_deadline", default=None)


@contextlib.contextmanager
def llm_step(seconds: float) -> Iterator[Deadline]:
    """Share one deadline between the gateway calls made inside the block.

    Deciding the interviewer's next turn may take two calls (a follow-up that turns out to be
    unnecessary, then the next question); inside one step they share a single budget, so the
    candidate's wait stays within one timeout however many calls it takes.
    """
    deadline = Deadline.after(seconds)
    token = _step.set(deadline)
    try:
        yield deadline
    finally:
        _step.reset(token)


def current_step() -> Deadline | None:
    return _step.get()
