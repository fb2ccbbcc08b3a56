"""The interface every interviewer provider implements (offline today, LLM providers later).

Providers are synchronous: services call them from worker threads (consumers go through
`database_sync_to_async`, Celery tasks are sync), and one pooled HTTP client per process is
simpler to reason about than one per event loop.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from interviews.llm.budget import Deadline

if TYPE_CHECKING:
    from interviews.coding.spec import CodingSpec

Source = Literal["llm", "cache", "fallback", "offline"]
# "needs_review": the evaluator cannot judge a hire (the offline heuristic never can).
Recommendation = Literal["strong_hire", "hire", "lean_no", "no_hire", "needs_review"]


# The document a position's description is indexed as, in its knowledge base; the one source
# the offline interviewer may quote to a candidate (interviews/llm/offline_grounded.py).
JOB_DESCRIPTION = "Job description"


@dataclass(frozen=True)
class QuestionContext:
    role: str
    topic: str
    difficulty: Literal["easy", "medium", "hard"]
    language: str
    index: int  # 1-based number of the question being asked
    total: int
    previous_questions: tuple[str, ...] = ()
    seed: int = 0  # same seed, same choice: lets replays and tests be deterministic
    # Passages of the position's knowledge base, "[document] text", most relevant first: data
    # about the job, never instructions (interviews/llm/grounding.py).
    grounding: tuple[str, ...] = ()


@dataclass(frozen=True)
class GeneratedQuestion:
    text: str
    rubric: tuple[str, ...]  # what a good answer covers; never sent to the candidate
    source: Source
    provider: str
    key: str = ""  # stable id of a bank question, "" for generated ones
    # Not from the first provider in LLM_PROVIDERS (it could not answer): the offline
    # interviewer standing in for an LLM, the question cache or a fallback.
    degraded: bool = False
    # A coding question: its statement, tests and reference solution (interviews/coding/).
    coding: "CodingSpec | None" = None


@dataclass(frozen=True)
class AnsweredQuestion:
    index: int
    question: str
    rubric: tuple[str, ...]
    answer: str  # the candidate's answers to the question and its follow-up, joined
    question_source: Source = "offline"


@dataclass(frozen=True)
class QuestionScore:
    index: int
    score: int  # 1..5
    rationale: str
    evidence: tuple[str, ...] = ()  # verbatim quotes from the candidate's answer
    flags: tuple[str, ...] = ()  # codes of interviews.services.answer_flags.FLAG_CAPS


@dataclass(frozen=True)
class EvaluationResult:
    method: str  # "offline-heuristic" or "llm:<provider>"
    overall_score: float  # 1.0..5.0
    recommendation: Recommendation
    questions: tuple[QuestionScore, ...]
    strengths: tuple[str, ...] = ()
    concerns: tuple[str, ...] = ()
    confidence: float = 1.0  # 0..1; the heuristic reports how much it trusts itself
    details: dict[str, object] = field(default_factory=dict)


class InterviewerProvider(Protocol):
    """What the failover chain asks of each provider. `deadline`: when its answer must be in
    (a provider that does no I/O may ignore it). A provider that cannot answer now raises
    interviews.llm.errors.ProviderUnavailable, or LookupError when it has no question left."""

    name: str  # also the label of its metrics and turns
    source: Source  # what its questions are labelled: "llm" ones are offered to the cache

    def generate_question(
        self, ctx: QuestionContext, *, deadline: Deadline | None = None
    ) -> GeneratedQuestion:
        """The next main question for the interview described by `ctx`."""
        ...

    def follow_up(
        self,
        ctx: QuestionContext,
        question: GeneratedQuestion,
        answer: str,
        *,
        deadline: Deadline | None = None,
    ) -> str | None:
        """One follow-up question when `answer` is thin, else None."""
        ...

    def evaluate(
        self,
        *,
        role: str,
        topic: str,
        difficulty: str,
        answers: tuple[AnsweredQuestion, ...],
        deadline: Deadline | None = None,
    ) -> EvaluationResult:
        """Score a finished interview."""
        ...
