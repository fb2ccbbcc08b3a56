"""What every HTTP provider shares: prompts in, validated structured replies out.

A provider makes one attempt per call: one request, plus one repair request if the reply does
not validate. It neither retries nor falls back: its guarded provider (interviews/llm/guarded.py)
wraps each call in the provider's breaker and the retry helper, and the chain moves on when it
fails.
Every call (its request, and the repair request if any) is over by the deadline it is given:
for a question or a follow-up, LLM_TIMEOUT_SECONDS from its start at the latest; for an
evaluation, the evaluation budget the chain passes (or LLM_TIMEOUT_SECONDS without one).
"""

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from interviews.coding.questions import coding_generated
from interviews.llm import metrics
from interviews.llm.base import (
    AnsweredQuestion,
    EvaluationResult,
    GeneratedQuestion,
    QuestionContext,
)
from interviews.llm.budget import Deadline
from interviews.llm.errors import DeadlineExceeded, MalformedReply
from interviews.llm.pool import CONNECTION_ERRORS, ProviderPool, shared_pool
from interviews.llm.prompts import (
    Message,
    Prompt,
    coding_question_prompt,
    evaluation_prompt,
    follow_up_prompt,
    question_prompt,
)
from interviews.llm.schemas import (
    parse_coding_question,
    parse_evaluation,
    parse_follow_up,
    parse_question,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_TOKENS = {
    "generate_question": 1024,
    "generate_coding_question": 3000,
    "follow_up": 300,
    "evaluate": 4096,
}
# The model's own view of its evaluation is worth less when it needed a second try.
CONFIDENCE = 0.8
CONFIDENCE_REPAIRED = 0.7


class RemoteInterviewer(ABC):
    name: str  # set by each subclass; also the breaker's and the metrics' label

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        timeout: float,
        pool: ProviderPool | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout  # LLM_TIMEOUT_SECONDS: the most a candidate-facing call may take
        self.pool = pool or shared_pool(self.name)
        self._api_key = api_key
        self._seconds = metrics.CALL_SECONDS.labels(provider=self.name)

    def __repr__(self) -> str:  # never shows the key
        return f"<{type(self).__name__} {self.model} at {self.base_url}>"

    # --- the dialect: implemented per provider ----------------------------------------------

    @abstractmethod
    def request(
        self, system: str, messages: list[Message], max_tokens: int
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        """(url, headers, JSON body) of one completion request."""

    @abstractmethod
    def content(self, data: Any) -> str:
        """The reply text in a response body; raises MalformedReply for a broken envelope."""

    # --- InterviewerProvider ----------------------------------------------------------------

    def generate_question(
        self, ctx: QuestionContext, *, deadline: Deadline | None = None
    ) -> GeneratedQuestion:
        prompt = question_prompt(ctx)
        reply, _ = self.ask(
            prompt,
            lambda text: parse_question(
                text, previous=ctx.previous_questions, instructions=prompt.system
            ),
            self._candidate_deadline(deadline),
        )
        return GeneratedQuestion(reply.question, reply.rubric, "llm", self.name)

    def generate_coding_question(
        self,
        ctx: QuestionContext,
        *,
        language: str,
        titles: tuple[str, ...] = (),
        deadline: Deadline | None = None,
    ) -> GeneratedQuestion:
        """Not yet usable: the chain runs its reference solution in the sandbox first."""
        prompt = coding_question_prompt(ctx, language=language, titles=titles)
        spec, _ = self.ask(
            prompt,
            lambda text: parse_coding_question(text, language=language),
            self._candidate_deadline(deadline),
        )
        return coding_generated(spec, source="llm", provider=self.name)

    def follow_up(
        self,
        ctx: QuestionContext,
        question: GeneratedQuestion,
        answer: str,
        *,
        deadline: Deadline | None = None,
    ) -> str | None:
        prompt = follow_up_prompt(ctx, question, answer)
        follow_up, _ = self.ask(
            prompt,
            lambda text: parse_follow_up(text, rubric=question.rubric, instructions=prompt.system),
            self._candidate_deadline(deadline),
        )
        return follow_up

    def evaluate(
        self,
        *,
        role: str,
        topic: str,
        difficulty: str,
        answers: tuple[AnsweredQuestion, ...],
        deadline: Deadline | None = None,
    ) -> EvaluationResult:
        indexes = [a.index for a in answers]
        prompt = evaluation_prompt(role=role, topic=topic, difficulty=difficulty, answers=answers)
        reply, repaired = self.ask(
            prompt,
            lambda text: parse_evaluation(text, indexes=indexes),
            deadline or Deadline.after(self.timeout),
        )
        return EvaluationResult(
            method=f"llm:{self.name}",
            overall_score=reply.overall_score,
            recommendation=reply.recommendation,
            questions=reply.questions,
            strengths=reply.strengths,
            concerns=reply.concerns,
            confidence=CONFIDENCE_REPAIRED if repaired else CONFIDENCE,
            details={"provider": self.name, "model": self.model, "repaired": repaired},
        )

    def _candidate_deadline(self, deadline: Deadline | None) -> Deadline:
        """A candidate waits on questions and follow-ups: the given deadline or
        LLM_TIMEOUT_SECONDS from now, whichever comes first."""
        return deadline.capped(self.timeout) if deadline else Deadline.after(self.timeout)

    # --- one attempt ------------------------------------------------------------------------

    def ask(self, prompt: Prompt, parse: Callable[[str], T], deadline: Deadline) -> tuple[T, bool]:
        """The parsed reply and whether it took the repair round trip."""
        max_tokens = MAX_TOKENS[prompt.task]
        reply = self.complete(prompt.system, prompt.messages(), max_tokens, deadline)
        try:
            return self._parsed(parse, reply), False
        except MalformedReply as exc:
            logger.info("%s: %s reply rejected (%s); asking once more", self.name, prompt.task, exc)
            repair = prompt.repair(reply, exc.problem)
            reply = self.complete(prompt.system, repair, max_tokens, deadline)
            try:
                return self._parsed(parse, reply), True
            except MalformedReply as again:
                raise MalformedReply(again.problem, provider=self.name, repairable=False) from exc

    def _parsed(self, parse: Callable[[str], T], reply: str) -> T:
        try:
            result = parse(reply)
        except MalformedReply:
            metrics.CALLS.labels(provider=self.name, outcome="malformed").inc()
            raise
        metrics.CALLS.labels(provider=self.name, outcome="ok").inc()
        return result

    def complete(
        self, system: str, messages: list[Message], max_tokens: int, deadline: Deadline
    ) -> str:
        """One request within what is left of `deadline`; the reply's text."""
        if deadline.expired():
            raise DeadlineExceeded(f"{self.name}: no time left for a request")
        url, headers, body = self.request(system, messages, max_tokens)
        started = time.perf_counter()
        try:
            response = self.pool.post(url, headers=headers, json=body, timeout=deadline.remaining())
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            outcome = "rate_limited" if status == 429 else "http_error"
            self._count(outcome, started)
            logger.warning("%s: HTTP %s from %s", self.name, status, url)
            raise
        except httpx.TimeoutException:
            self._count("timeout", started)
            raise
        except CONNECTION_ERRORS:
            self._count("connection_error", started)
            raise
        self._seconds.observe(time.perf_counter() - started)
        try:
            data = response.json()
        except ValueError:
            metrics.CALLS.labels(provider=self.name, outcome="malformed").inc()
            raise MalformedReply(
                "the response body is not JSON", provider=self.name, repairable=False
            ) from None
        return self.content(data)

    def _count(self, outcome: str, started: float) -> None:
        self._seconds.observe(time.perf_counter() - started)
        metrics.CALLS.labels(provider=self.name, outcome=outcome).inc()


def envelope_error(provider: str, what: str) -> MalformedReply:
    return MalformedReply(
        f"unexpected response envelope: {what}", provider=provider, repairable=False
    )
