"""The failover chain: LLM_PROVIDERS in order, then the question bank, then a fallback.

    openai ─▶ anthropic ─▶ offline ─▶ question bank (cache) ─▶ contextual fallback

Each remote provider sits behind its own circuit breaker (`llm.<provider>`) and the retry
helper (resilience.retry: transient errors only, Retry-After honoured, jittered back-off).
A provider that says when to come back (Retry-After on a 429 or 5xx, or Anthropic's 529
"overloaded") holds its breaker open that long, so no caller in any process asks it sooner.
A step that a candidate waits on (the next question, a follow-up) has one deadline,
LLM_TIMEOUT_SECONDS: every attempt gets only what is left of it as its HTTP timeout, no retry
sleeps past it, and once it has passed the remaining remote providers are skipped. The offline
interviewer does no I/O and answers in milliseconds, so it is asked even after the deadline:
its question beats a generic one. Open breakers cost nothing, so with every provider down the
candidate gets the fallback in about a millisecond.

Evaluation runs in Celery, where nobody waits on it: it gets EVALUATION_BUDGET_FACTOR timeouts,
split fairly between the remote providers still to try, and raises ProvidersUnavailable when
none could do it (Celery retries the task).

Every question and follow-up records where it came from (`source`: llm, offline, cache,
fallback), who answered (`provider`), and whether it is `degraded`: answered by anyone but the
first provider listed (which could not).
"""

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import httpx
from django.conf import settings

from interviews.llm import metrics
from interviews.llm.bank import NoQuestionBank, QuestionBank
from interviews.llm.base import (
    AnsweredQuestion,
    EvaluationResult,
    GeneratedQuestion,
    InterviewerProvider,
    QuestionContext,
    Source,
)
from interviews.llm.budget import MIN_ATTEMPT_SECONDS, Deadline, current_step, reserve_for
from interviews.llm.errors import DeadlineExceeded, MalformedReply, ProvidersUnavailable
from interviews.llm.fallback import FallbackKind, fallback_question
from interviews.llm.providers.remote import RemoteInterviewer
from resilience.breakers import Breaker, BreakerOpen, get_breaker
from resilience.breakers.classify import is_failure_status
from resilience.retry import retry_after_of, retrying

logger = logging.getLogger(__name__)

T = TypeVar("T")
EVALUATION_BUDGET_FACTOR = 4  # evaluation budget, in LLM_TIMEOUT_SECONDS
# Failures that mean "this provider cannot answer now": logged briefly, then the next one.
EXPECTED_FAILURES = (DeadlineExceeded, MalformedReply, httpx.HTTPError)
OVERLOADED = 529  # Anthropic's "overloaded": a request to back off, with or without a Retry-After


class BreakerLookup(Protocol):
    def __call__(self, name: str) -> Breaker: ...


@dataclass(frozen=True)
class ChainConfig:
    timeout: float  # seconds a candidate may wait for one step, whatever is down
    evaluation_budget: float  # seconds for a whole evaluation (Celery; nobody waits on it)
    attempts: int  # attempts per provider per step, the first one included
    base_delay: float  # first back-off, seconds; doubles per retry
    max_delay: float  # back-off cap, seconds

    @classmethod
    def from_settings(cls) -> "ChainConfig":
        timeout = float(settings.LLM_TIMEOUT_SECONDS)
        return cls(
            timeout=timeout,
            evaluation_budget=EVALUATION_BUDGET_FACTOR * timeout,
            attempts=int(settings.MAX_RETRY_ATTEMPTS),
            base_delay=float(settings.RETRY_BASE_DELAY),
            max_delay=float(settings.RETRY_MAX_DELAY),
        )


def breaker_name(provider: str) -> str:
    return f"llm.{provider}"


class InterviewerChain:
    """An InterviewerProvider that asks its providers in order and never leaves one waiting."""

    name = "gateway"

    def __init__(
        self,
        providers: Sequence[InterviewerProvider],
        *,
        config: ChainConfig,
        question_bank: QuestionBank | None = None,
        breakers: BreakerLookup = get_breaker,
    ) -> None:
        self.providers = tuple(providers)
        self.config = config
        self.question_bank: QuestionBank = question_bank or NoQuestionBank()
        self._breakers = breakers

    def __repr__(self) -> str:
        return f"<InterviewerChain {[p.name for p in self.providers]}>"

    @property
    def remote_first(self) -> bool:
        """Whether the first provider (the one a healthy chain answers with) is an LLM."""
        return bool(self.providers) and isinstance(self.providers[0], RemoteInterviewer)

    # --- InterviewerProvider ----------------------------------------------------------------

    def generate_question(self, ctx: QuestionContext) -> GeneratedQuestion:
        deadline = self._step_deadline()
        for position, provider in enumerate(self.providers):
            if isinstance(provider, RemoteInterviewer):
                question = self._try_remote(
                    provider, lambda p, d: p.generate_question(ctx, deadline=d), deadline
                )
                if question is not None:
                    self._bank_put(ctx, question)
            else:
                question = self._try_local(provider, lambda p: p.generate_question(ctx))
            if question is not None:
                return dataclasses.replace(question, degraded=position > 0)
        cached = self._bank_get(ctx)
        if cached is not None:
            metrics.FALLBACKS.labels(kind="cache").inc()
            return dataclasses.replace(cached, degraded=True)
        metrics.FALLBACKS.labels(kind=FallbackKind.QUESTION_GENERATION).inc()
        question = fallback_question(ctx)
        logger.warning("question %s: no provider answered; fallback question used", ctx.index)
        return dataclasses.replace(question, degraded=True)

    def follow_up(
        self, ctx: QuestionContext, question: GeneratedQuestion, answer: str
    ) -> str | None:
        """The text alone (the InterviewerProvider interface); interview services call
        `follow_up_question`, which says who wrote it."""
        follow_up = self.follow_up_question(ctx, question, answer)
        return follow_up.text if follow_up else None

    def follow_up_question(
        self, ctx: QuestionContext, question: GeneratedQuestion, answer: str
    ) -> GeneratedQuestion | None:
        """`follow_up` with the source and provider of whoever wrote it (None: move on)."""
        deadline = self._step_deadline()
        for position, provider in enumerate(self.providers):
            if isinstance(provider, RemoteInterviewer):
                outcome = self._try_remote(
                    provider,
                    lambda p, d: (p.follow_up(ctx, question, answer, deadline=d),),
                    deadline,
                )
                source: Source = "llm"
            else:
                outcome = self._try_local(provider, lambda p: (p.follow_up(ctx, question, answer),))
                source = "offline"
            if outcome is not None:  # the provider answered; (None,) means "no follow-up"
                text = outcome[0]
                if not text:
                    return None
                return GeneratedQuestion(text, (), source, provider.name, degraded=position > 0)
        # Moving on to the next question is the neutral fallback for a follow-up.
        metrics.FALLBACKS.labels(kind=FallbackKind.DEFAULT).inc()
        return None

    def evaluate(
        self, *, role: str, topic: str, difficulty: str, answers: tuple[AnsweredQuestion, ...]
    ) -> EvaluationResult:
        deadline = Deadline.after(self.config.evaluation_budget)
        remote_left = sum(isinstance(p, RemoteInterviewer) for p in self.providers)
        failures: dict[str, str] = {}
        open_for: dict[str, float] = {}
        for provider in self.providers:
            if isinstance(provider, RemoteInterviewer):
                # A fair share of what is left, so one hanging provider cannot starve the next.
                share = deadline.capped(deadline.remaining() / remote_left)
                remote_left -= 1
                result = self._try_remote(
                    provider,
                    lambda p, d: p.evaluate(
                        role=role, topic=topic, difficulty=difficulty, answers=answers, deadline=d
                    ),
                    share,
                    failures=failures,
                    open_for=open_for,
                )
            else:
                result = self._try_local(
                    provider,
                    lambda p: p.evaluate(
                        role=role, topic=topic, difficulty=difficulty, answers=answers
                    ),
                    failures=failures,
                )
            if result is not None:
                return result
        every_one_open = bool(open_for) and open_for.keys() == failures.keys()
        retry_after = min(open_for.values()) if every_one_open else None
        raise ProvidersUnavailable("evaluate", failures, retry_after=retry_after)

    def _step_deadline(self) -> Deadline:
        """When the HTTP attempts of a candidate-facing step must be over (see budget.py)."""
        step = current_step() or Deadline.after(self.config.timeout)
        return step.minus(reserve_for(self.config.timeout))

    # --- one provider -----------------------------------------------------------------------

    def _try_remote(
        self,
        provider: RemoteInterviewer,
        call: Callable[[RemoteInterviewer, Deadline], T],
        deadline: Deadline,
        *,
        failures: dict[str, str] | None = None,
        open_for: dict[str, float] | None = None,
    ) -> T | None:
        """The provider's answer within `deadline`, or None when it cannot give one (why in
        `failures`; seconds until an open breaker's next trial in `open_for`)."""
        name = provider.name
        breaker = self._breakers(breaker_name(name))
        attempts = 0

        def attempt() -> T:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                metrics.RETRIES.labels(provider=name).inc()
            if deadline.expired():
                metrics.CALLS.labels(provider=name, outcome="out_of_budget").inc()
                raise DeadlineExceeded(f"{name}: the step's deadline has passed")
            # Each attempt goes through the breaker, so one that opens mid-retry stops them.
            try:
                return breaker.call(call, provider, deadline)
            except httpx.HTTPStatusError as exc:
                _hold_if_asked(breaker, exc)
                raise

        # No back-off may end too close to the deadline for another attempt to be worth it.
        retry = retrying(
            attempts=self.config.attempts,
            base_delay=self.config.base_delay,
            max_delay=self.config.max_delay,
            deadline=deadline.remaining() - MIN_ATTEMPT_SECONDS,
        )
        try:
            return retry(attempt)
        except BreakerOpen as exc:
            # Expected and cheap while an outage lasts; the breaker logged when it opened.
            metrics.CALLS.labels(provider=name, outcome="rejected").inc()
            why = f"breaker open, retry in {exc.retry_after:.1f}s"
            logger.debug("%s skipped: %s", name, why)
            if open_for is not None:
                open_for[name] = exc.retry_after
        except EXPECTED_FAILURES as exc:
            why = f"{type(exc).__name__}: {exc}"
            logger.warning("%s could not answer: %s", name, why)
        except Exception as exc:
            # A bug, not an outage: the traceback goes to the log, the candidate still gets
            # an answer from further down the chain.
            logger.exception("%s: unexpected error; trying the next provider", name)
            why = f"{type(exc).__name__}: {exc}"
        if failures is not None:
            failures[name] = why
        return None

    def _try_local(
        self,
        provider: InterviewerProvider,
        call: Callable[[InterviewerProvider], T],
        *,
        failures: dict[str, str] | None = None,
    ) -> T | None:
        try:
            return call(provider)
        except LookupError as exc:  # the offline bank has no unasked question left
            why = str(exc)
            logger.warning("%s could not answer: %s", provider.name, why)
        except Exception as exc:
            logger.exception("%s: unexpected error; trying the next provider", provider.name)
            why = f"{type(exc).__name__}: {exc}"
        if failures is not None:
            failures[provider.name] = why
        return None

    # --- the question bank ------------------------------------------------------------------

    def _bank_get(self, ctx: QuestionContext) -> GeneratedQuestion | None:
        try:
            question = self.question_bank.get(
                difficulty=ctx.difficulty,
                language=ctx.language,
                topic=ctx.topic,
                exclude=ctx.previous_questions,
            )
        except Exception:
            # A cache failure is a miss, never an outage.
            logger.exception("question bank lookup failed; treating it as a miss")
            return None
        if question is None or question.text in ctx.previous_questions:
            return None  # a bank that ignored `exclude` must not make the candidate repeat
        return dataclasses.replace(question, source="cache")

    def _bank_put(self, ctx: QuestionContext, question: GeneratedQuestion) -> None:
        if ctx.grounding:
            return  # built on one position's documents: not a question for the whole topic
        try:
            self.question_bank.put(
                difficulty=ctx.difficulty, language=ctx.language, topic=ctx.topic, question=question
            )
        except Exception:
            logger.exception("question bank store failed; the question was served anyway")


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
