"""One loop over providers: each remote provider is wrapped once as a guarded provider
(breaker, retry, metrics, Retry-After hold, deadline) with the offline interviewer's interface,
and the chain treats every provider alike, by what it says it is rather than by its class."""

import contextlib
from collections.abc import Collection, Iterator
from dataclasses import replace
from typing import Any

import pytest

from interviews.fake_llm.server import FakeLLMHandle
from interviews.llm.base import (
    AnsweredQuestion,
    EvaluationResult,
    GeneratedQuestion,
    QuestionContext,
    Source,
)
from interviews.llm.budget import Deadline
from interviews.llm.errors import ProvidersUnavailable, ProviderUnavailable
from interviews.llm.guarded import GuardedProvider, RetryPolicy
from interviews.llm.providers.openai import OpenAIInterviewer
from resilience.breakers import State
from tests.interviews.llm_support import (
    KEY,
    MemoryBreakers,
    context,
    make_chain,
    offline,
    openai_at,
    reset,
    start_fake,
)

ANSWER = "I profile first, then fix the hottest path and measure again. " * 5


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMHandle]:
    with contextlib.ExitStack() as stack:
        yield start_fake(stack)


@pytest.fixture
def fake(server: FakeLLMHandle) -> FakeLLMHandle:
    return reset(server)


class ListBank:
    def __init__(self) -> None:
        self.stored: list[GeneratedQuestion] = []

    def get(
        self, *, difficulty: str, language: str, topic: str, exclude: Collection[str] = ()
    ) -> GeneratedQuestion | None:
        return None

    def put(
        self, *, difficulty: str, language: str, topic: str, question: GeneratedQuestion
    ) -> None:
        self.stored.append(question)


class ThirdPartyLLM:
    """A provider the chain has never heard of: not a RemoteInterviewer, but an LLM."""

    name = "thirdparty"
    source: Source = "llm"

    def generate_question(
        self, ctx: QuestionContext, *, deadline: Deadline | None = None
    ) -> GeneratedQuestion:
        return GeneratedQuestion("How do you size a thread pool?", ("load",), "llm", self.name)

    def follow_up(
        self,
        ctx: QuestionContext,
        question: GeneratedQuestion,
        answer: str,
        *,
        deadline: Deadline | None = None,
    ) -> str | None:
        return "What would you measure first?"

    def evaluate(
        self,
        *,
        role: str,
        topic: str,
        difficulty: str,
        answers: tuple[AnsweredQuestion, ...],
        deadline: Deadline | None = None,
    ) -> EvaluationResult:
        raise ProviderUnavailable("thirdparty: breaker open", retry_after=7.0)


def test_guarded_provider__answers_with_the_offline_interface(fake: FakeLLMHandle) -> None:
    breakers = MemoryBreakers(failure_threshold=2)
    guarded = GuardedProvider(
        openai_at(fake), retry=RetryPolicy(attempts=1, base_delay=0.01, max_delay=0.1),
        breakers=breakers,
    )  # fmt: skip
    question = guarded.generate_question(context())
    assert (question.source, question.provider, guarded.source) == ("llm", "openai", "llm")

    fake.control(mode="error500")
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            guarded.generate_question(context())
    assert breakers("llm.openai").snapshot().state is State.OPEN
    with pytest.raises(ProviderUnavailable) as rejected:
        guarded.generate_question(context())
    assert (rejected.value.retry_after or 0) > 0
    assert fake.status()["requests"] == 3, "the open breaker sent nothing"


class PositionedOpenAI(OpenAIInterviewer):
    """A provider whose interface grew an argument (the position being interviewed for)."""

    def evaluate(self, *, deadline: Deadline | None = None, **interview: Any) -> EvaluationResult:
        position = interview.pop("position")
        result = super().evaluate(deadline=deadline, **interview)
        return replace(result, details={**result.details, "position": position})


def test_guarded_provider__evaluate_passes_the_interfaces_arguments_on_as_given(
    fake: FakeLLMHandle,
) -> None:
    provider = openai_at(fake)
    positioned = PositionedOpenAI(
        base_url=provider.base_url, api_key=KEY, model="gpt-test", timeout=1.0, pool=provider.pool
    )
    guarded = GuardedProvider(
        positioned, retry=RetryPolicy(attempts=1, base_delay=0.01, max_delay=0.1),
        breakers=MemoryBreakers(failure_threshold=2),
    )  # fmt: skip
    question = AnsweredQuestion(index=0, question="How?", rubric=("measure",), answer=ANSWER)
    answers = (question,)
    result = guarded.evaluate(
        role="Backend", topic="performance", difficulty="medium", answers=answers,
        position="Platform engineer",
    )  # fmt: skip
    assert (result.method, result.details["position"]) == ("llm:openai", "Platform engineer")
    assert [q.index for q in result.questions] == [0]


def test_chain__labels_and_caches_any_llm_provider_by_what_it_is() -> None:
    bank = ListBank()
    chain = make_chain([ThirdPartyLLM(), offline()], bank=bank)

    question = chain.generate_question(context())
    follow = chain.follow_up_question(context(), question, "Short.")

    assert [q.text for q in bank.stored] == [question.text], "an LLM's question is offered"
    assert follow is not None
    assert (follow.source, follow.provider, follow.degraded) == ("llm", "thirdparty", False)


def test_chain__an_unavailable_provider_passes_its_wait_to_the_evaluation_retry() -> None:
    chain = make_chain([ThirdPartyLLM()])
    answers = (AnsweredQuestion(1, "Q?", ("a",), ANSWER),)

    with pytest.raises(ProvidersUnavailable) as raised:
        chain.evaluate(role="r", topic="python", difficulty="medium", answers=answers)

    assert raised.value.retry_after == 7.0
    assert raised.value.failures == {"thirdparty": "thirdparty: breaker open"}


def test_chain__remote_first_follows_the_first_providers_source(fake: FakeLLMHandle) -> None:
    # The reply to an answer is written in the same step only when no network is on its path
    # (interviews.services.turns.interviewer_is_local).
    assert make_chain([openai_at(fake), offline()]).remote_first is True
    assert make_chain([ThirdPartyLLM()]).remote_first is True
    assert make_chain([offline(), openai_at(fake)]).remote_first is False
