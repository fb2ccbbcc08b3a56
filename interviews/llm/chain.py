"""The failover chain: LLM_PROVIDERS in order, then the question bank, then a fallback.

    openai ─▶ anthropic ─▶ offline ─▶ question bank (cache) ─▶ contextual fallback

The chain is one loop over providers that all have the same interface: each remote provider
is wrapped once, when the chain is built, as a GuardedProvider (its breaker, retries, metrics
and Retry-After holds: interviews/llm/guarded.py). A provider that cannot answer raises
ProviderUnavailable (or LookupError: the offline bank has no unasked question left) and the
next one is asked.
A step that a candidate waits on (the next question, a follow-up) has one deadline,
LLM_TIMEOUT_SECONDS, passed to every provider: a remote one gives each attempt only what is
left of it and is skipped once it has passed. The offline interviewer does no I/O and answers in
milliseconds, so it is asked even after the deadline: its question beats a generic one. Open
breakers cost nothing, so with every provider down the candidate gets the fallback in about a
millisecond.

Evaluation runs in Celery, where nobody waits on it: it gets EVALUATION_BUDGET_FACTOR timeouts,
split fairly between the LLM providers still to try, and raises ProvidersUnavailable when
none could do it (Celery retries the task).

Every question and follow-up records where it came from (`source`: llm, offline, cache,
fallback), who answered (`provider`), and whether it is `degraded`: answered by anyone but the
first provider listed (which could not). An LLM's question is offered to the question bank.
"""

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings

from interviews.llm import metrics
from interviews.llm.bank import NoQuestionBank, QuestionBank
from interviews.llm.base import (
    AnsweredQuestion,
    EvaluationResult,
    GeneratedQuestion,
    InterviewerProvider,
    QuestionContext,
)
from interviews.llm.budget import Deadline, current_step, reserve_for
from interviews.llm.errors import ProvidersUnavailable, ProviderUnavailable
from interviews.llm.fallback import FallbackKind, fallback_question

logger = logging.getLogger(__name__)

T = TypeVar("T")
EVALUATION_BUDGET_FACTOR = 4  # evaluation budget, in LLM_TIMEOUT_SECONDS


@dataclass(frozen=True)
class ChainConfig:
    timeout: float  # seconds a candidate may wait for one step, whatever is down
    evaluation_budget: float  # seconds for a whole evaluation (Celery; nobody waits on it)

    @classmethod
    def from_settings(cls) -> "ChainConfig":
        timeout = float(settings.LLM_TIMEOUT_SECONDS)
        return cls(timeout=timeout, evaluation_budget=EVALUATION_BUDGET_FACTOR * timeout)


class InterviewerChain:
    """An InterviewerProvider that asks its providers in order and never leaves one waiting."""

    name = "gateway"

    def __init__(
        self,
        providers: Sequence[InterviewerProvider],
        *,
        config: ChainConfig,
        question_bank: QuestionBank | None = None,
    ) -> None:
        self.providers = tuple(providers)
        self.config = config
        self.question_bank: QuestionBank = question_bank or NoQuestionBank()

    def __repr__(self) -> str:
        return f"<InterviewerChain {[p.name for p in self.providers]}>"

    @property
    def remote_first(self) -> bool:
        """Whether the first provider (the one a healthy chain answers with) is an LLM."""
        return bool(self.providers) and self.providers[0].source == "llm"

    # --- InterviewerProvider ----------------------------------------------------------------

    def generate_question(self, ctx: QuestionContext) -> GeneratedQuestion:
        deadline = self._step_deadline()
        for position, provider in enumerate(self.providers):
            question = self._ask(provider, lambda p: p.generate_question(ctx, deadline=deadline))
            if question is not None:
                if question.source == "llm":
                    self._bank_put(ctx, question)
                return dataclasses.replace(question, degraded=position > 0)
        cached = self._bank_get(ctx)
        if cached is not None:
            metrics.FALLBACKS.labels(kind="cache").inc()
            return dataclasses.replace(cached, degraded=True)
        metrics.FALLBACKS.labels(kind=FallbackKind.QUESTION_GENERATION).inc()
        question = fallback_question(ctx)
        logger.warning("question %s: no provider answered; fallback question used", ctx.index)
        return dataclasses.replace(question, degraded=True)

    def generate_coding_question(
        self,
        ctx: QuestionContext,
        *,
        language: str,
        asked_keys: frozenset[str] = frozenset(),
        titles: tuple[str, ...] = (),
    ) -> GeneratedQuestion:
        """The LLM providers in order, each question used only if its reference solution
        passes its own tests in the sandbox; else the offline bank's (LookupError when it has
        none left). A question that fails its check is a failed question: the next one is
        asked, and the one used says who wrote it."""
        from interviews.coding.questions import coding_question_generate
        from interviews.coding.verify import coding_reference_problem

        deadline = self._step_deadline()
        for position, provider in enumerate(self.providers):
            if provider.source != "llm":
                break  # the offline interviewer's coding questions are the bank's, below
            question = self._ask(
                provider,
                lambda p: p.generate_coding_question(  # type: ignore[attr-defined]
                    ctx, language=language, titles=titles, deadline=deadline
                ),
            )
            if question is None or question.coding is None:
                continue
            problem = coding_reference_problem(question.coding, deadline=deadline)
            if problem is None:
                return dataclasses.replace(question, degraded=position > 0)
            logger.warning("%s: coding question not used: %s", provider.name, problem)
        question = coding_question_generate(ctx, language=language, asked_keys=asked_keys)
        if self.remote_first:
            metrics.FALLBACKS.labels(kind=FallbackKind.CODING_BANK).inc()
        return dataclasses.replace(question, degraded=self.remote_first)

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
            outcome = self._ask(
                provider, lambda p: (p.follow_up(ctx, question, answer, deadline=deadline),)
            )
            if outcome is not None:  # the provider answered; (None,) means "no follow-up"
                text = outcome[0]
                if not text:
                    return None
                return GeneratedQuestion(
                    text, (), provider.source, provider.name, degraded=position > 0
                )
        # Moving on to the next question is the neutral fallback for a follow-up.
        metrics.FALLBACKS.labels(kind=FallbackKind.DEFAULT).inc()
        return None

    def evaluate(
        self, *, role: str, topic: str, difficulty: str, answers: tuple[AnsweredQuestion, ...]
    ) -> EvaluationResult:
        deadline = Deadline.after(self.config.evaluation_budget)
        # Only the LLMs wait on the network; the offline interviewer needs no share.
        llms_left = sum(p.source == "llm" for p in self.providers)
        failures: dict[str, str] = {}
        open_for: dict[str, float] = {}
        for provider in self.providers:
            share = deadline
            if provider.source == "llm":
                # A fair share of what is left, so one hanging provider cannot starve the next.
                share = deadline.capped(deadline.remaining() / llms_left)
                llms_left -= 1
            result = self._ask(
                provider,
                lambda p, share=share: p.evaluate(  # type: ignore[misc]
                    role=role, topic=topic, difficulty=difficulty, answers=answers, deadline=share
                ),
                failures=failures,
                open_for=open_for,
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

    def _ask(
        self,
        provider: InterviewerProvider,
        call: Callable[[InterviewerProvider], T],
        *,
        failures: dict[str, str] | None = None,
        open_for: dict[str, float] | None = None,
    ) -> T | None:
        """The provider's answer, or None when it cannot give one (why in `failures`; seconds
        until an open breaker's next trial in `open_for`)."""
        try:
            return call(provider)
        except ProviderUnavailable as exc:  # the guarded provider logged it
            why = exc.why
            if exc.retry_after is not None and open_for is not None:
                open_for[provider.name] = exc.retry_after
        except LookupError as exc:  # the offline bank has no unasked question left
            why = str(exc)
            logger.warning("%s could not answer: %s", provider.name, why)
        except Exception as exc:
            # A bug, not an outage: the traceback goes to the log, the candidate still gets
            # an answer from further down the chain.
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
